// The explanations shown on hover: tree tooltips, the Python hover and (as plain Markdown text) the panel.
// Pure strings, no `vscode` import, so unit tests and the webview can use them; callers wrap them in
// MarkdownString. The formulas come from the layer modules (ParamFormula), never from here.

import type { LayerNode } from './keras/model';
import type { LayerSummary, ModelSummary, WeightSummary } from './keras/summary';
import type { ParamFormula } from './keras/layers/types';
import { layerEnv, layerKind } from './keras/layers/index';
import { LETTER_MEANING, formatShape, type Shape } from './keras/shapes';
import { layerFromCall, type PyCall } from './keras/pythonCall';
import { markdownText } from './keras/safeText';

/** Thousands separated the way Keras's summary prints them: 183,775. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `57 params` / `1 param`. */
export function paramsLabel(n: number): string {
  return `${formatCount(n)} param${n === 1 ? '' : 's'}`;
}

/**
 * Inline code for text this extension computed (formulas, shapes): the fence is longer than any backtick run in
 * it, so nothing can close the span early. Names from a file never go in a code span: they go through escapeMd.
 */
function code(s: string): string {
  const text = s.replace(/[\r\n]+/g, ' ');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * Text from a file (names, class names, paths, versions, notes) for a Markdown hover: controls and bidi overrides
 * made visible, cut to `max` characters, and every ASCII punctuation character backslash-escaped (CommonMark allows
 * it for all of them), so it cannot open a link, a command link, an image, HTML, a code span or a table cell.
 */
export function escapeMd(s: string, max = 400): string {
  return markdownText(String(s), max);
}

/** The notebook name of a weight: W_x for an RNN kernel, W_h for its recurrent kernel, b for a bias. */
export function weightRole(className: string, weightName: string): string | null {
  const rnn = layerKind(className)?.recurrentCell !== undefined;
  switch (weightName) {
    case 'kernel':
      return rnn ? 'W_x' : 'W';
    case 'recurrent_kernel':
      return 'W_h';
    case 'bias':
      return 'b';
    case 'embeddings':
      return 'E';
    case 'gamma':
      return 'γ';
    case 'beta':
      return 'β';
    case 'moving_mean':
      return 'μ (moving mean)';
    case 'moving_variance':
      return 'σ² (moving variance)';
    default:
      return null;
  }
}

function shapeText(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join(' × ');
}

/** "D = 3 input features per time step, M = 5 hidden units" for the letters a formula uses. */
export function lettersLine(letters: Record<string, number | null>): string {
  return Object.entries(letters)
    .map(([k, v]) => {
      const meaning = (LETTER_MEANING as Record<string, string>)[k];
      const value = v === null ? '?' : String(v);
      return meaning ? `${k} = ${value} ${meaning}` : `${k} = ${value}`;
    })
    .join(', ');
}

/** The formula block shared by tree tooltips and hovers: letters, numbers, total, weight table, note. */
export function formulaMarkdown(className: string, f: ParamFormula, options: { unknownLetters?: string[] } = {}): string {
  const unknown = new Set(options.unknownLetters ?? []);
  const lines: string[] = [];
  if (unknown.size === 0) {
    lines.push(`**${paramsLabel(f.total)}** = ${code(f.formula)} = ${code(f.substituted)}`);
  } else {
    lines.push(`**Parameters** = ${code(f.formula)}`);
  }
  const known: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(f.letters)) known[k] = unknown.has(k) ? null : v;
  for (const k of unknown) if (!(k in known)) known[k] = null;
  if (Object.keys(known).length > 0) lines.push('', lettersLine(known));
  if (unknown.size > 0) {
    const which = [...unknown].join(', ');
    lines.push('', `${which} ${unknown.size === 1 ? 'comes' : 'come'} from the layer's input: give \`input_shape=(T, D)\` (or follow a layer with known output) to get the count.`);
  }
  const termName = (t: ParamFormula['terms'][number]) => {
    const role = weightRole(className, t.name);
    return `${escapeMd(t.name)}${role ? ` (${escapeMd(role)})` : ''}${t.trainable ? '' : ' · non-trainable'}`;
  };
  if (f.terms.length > 0 && unknown.size > 0) {
    lines.push('', `Weights: ${f.terms.map(termName).join(', ')}.`);
  } else if (f.terms.length > 0) {
    lines.push('', '| weight | shape | count |', '|---|---|---|');
    for (const t of f.terms) lines.push(`| ${termName(t)} | ${shapeText(t.shape)} | ${formatCount(t.count)} |`);
  }
  if (unknown.size === 0 && f.nonTrainable > 0) {
    lines.push('', `${formatCount(f.trainable)} trainable, ${formatCount(f.nonTrainable)} non-trainable.`);
  }
  if (f.note) lines.push('', escapeMd(f.note, 1000));
  return lines.join('\n');
}

function letterLegend(letters: (string | null)[] | undefined): string | null {
  const used = (letters ?? []).filter((l): l is string => !!l && l in LETTER_MEANING);
  if (used.length === 0) return null;
  return used.map((l) => `${l} = ${(LETTER_MEANING as Record<string, string>)[l]}`).join(' · ');
}

/** Tooltip of a layer in the Model Layers tree (and the panel's layer table). */
export function layerTooltip(layer: LayerSummary): string {
  const lines: string[] = [];
  lines.push(`**${escapeMd(layer.name)}** · ${escapeMd(layer.className)}`);
  lines.push('', `Output ${code(layer.outputShapeText)}`);
  if (layer.inputShapes.length > 0) {
    lines.push('', `Input ${layer.inputShapes.map((s) => code(formatShape(s))).join(', ')}`);
  }
  const legend = letterLegend(layer.outputLetters);
  if (legend) lines.push('', legend);
  lines.push('', '---', '');
  if (layer.formula) {
    lines.push(formulaMarkdown(layer.className, layer.formula));
  } else if (layer.paramsFormula) {
    lines.push(`**${paramsLabel(layer.params)}**: ${escapeMd(layer.paramsFormula, 1000)}`);
  } else if (layer.params > 0) {
    lines.push(`**${paramsLabel(layer.params)}** (the sum over its inner layers).`);
  } else {
    lines.push('No parameters: this layer only reshapes or passes values on.');
  }
  if (layer.params > 0 && !layer.formula && layer.weights.length > 0) {
    lines.push('', '| weight | shape | count |', '|---|---|---|');
    for (const w of layer.weights) {
      const role = weightRole(layer.className, w.name);
      lines.push(`| ${escapeMd(w.name)}${role ? ` (${escapeMd(role)})` : ''} | ${shapeText(w.shape)} | ${formatCount(w.count)} |`);
    }
  }
  if (layer.notExecutable) lines.push('', `⚠ **Cannot run:** ${escapeMd(layer.notExecutable, 1000)}`);
  for (const n of layer.notes) if (n !== layer.notExecutable) lines.push('', `*${escapeMd(n, 1000)}*`);
  return lines.join('\n');
}

/** Tooltip of one stored weight tensor. */
export function weightTooltip(layer: LayerSummary, w: WeightSummary): string {
  const name = w.name;
  const role = weightRole(layer.className, name);
  const lines = [
    `**${escapeMd(name)}**${role ? ` = ${escapeMd(role)}` : ''} of ${escapeMd(layer.name)}`,
    '',
    `Shape ${code(shapeText(w.shape))} = ${formatCount(w.count)} values, ${escapeMd(w.dtype)}${w.trainable ? '' : ', non-trainable'}`,
    '',
    `Stored at ${escapeMd(w.path)}`,
  ];
  // How the gate blocks sit side by side in an LSTM/GRU matrix: the question every learner asks.
  const gates = layerKind(layer.className)?.weightNote?.(name, w.shape);
  if (gates) lines.push('', gates);
  return lines.join('\n');
}

/** Tooltip of the model (tree root, status bar). */
export function modelTooltip(s: ModelSummary): string {
  const lines = [
    `**${escapeMd(baseName(s.file))}** · ${escapeMd(s.modelClass)}`,
    '',
    `Format ${escapeMd(s.format)}${s.kerasVersion ? ` · Keras ${escapeMd(s.kerasVersion)}` : ''}${s.backend ? ` · ${escapeMd(s.backend)}` : ''}`,
    '',
    `Inputs ${s.inputs.map((i) => code(formatShape(i.shape))).join(', ') || '—'} · outputs ${s.outputs.map((o) => (o.shape ? code(formatShape(o.shape)) : '`?`')).join(', ') || '—'}`,
    '',
    `**Total ${paramsLabel(s.totalParams)}** (${formatCount(s.trainableParams)} trainable, ${formatCount(s.nonTrainableParams)} non-trainable)`,
  ];
  for (const w of s.warnings.slice(0, 50)) lines.push('', `⚠ ${escapeMd(w, 1000)}`);
  if (s.warnings.length > 50) lines.push('', `… and ${s.warnings.length - 50} more warnings.`);
  return lines.join('\n');
}

export function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

// ---------------------------------------------------------------------------------------------
// Python hover
// ---------------------------------------------------------------------------------------------

/** The formula; null for a layer with no weights; undefined when these arguments do not give one. */
function tryParams(node: LayerNode, input: Shape): ParamFormula | null | undefined {
  const kind = layerKind(node.className);
  if (!kind) return undefined;
  try {
    return kind.params(node, [input], layerEnv(3));
  } catch {
    return undefined;
  }
}

/** The input shape with the unknown input size replaced by `d` (T stays as given or None); tokens have no D. */
function withD(shape: Shape | null, className: string, d: number): Shape {
  const takes = layerKind(className)?.inputIs ?? 'sequence';
  if (takes === 'tokens') return shape ?? [null, null];
  if (!shape) return takes === 'features' ? [null, d] : [null, null, d];
  return shape.map((x, i) => (i === shape.length - 1 && x === null ? d : x));
}

export interface PythonHover {
  markdown: string;
  /** Parameter count when the arguments give every size; null when the formula is shown in letters. */
  total: number | null;
}

/**
 * The hover for a Keras layer call in Python source. The count comes from the layer module's params(); where the
 * arguments do not give the input size, params() is asked twice with two different sizes and the letters whose
 * values changed are shown as unknown, so the formula appears in letters only.
 */
export function pythonHover(call: PyCall): PythonHover | null {
  const built = layerFromCall(call);
  if (!built) return null;
  const { node, inputShape, unknown } = built;
  const header = `**${escapeMd(call.name)}** · Keras layer`;
  const parts = [header];
  if (unknown.length > 0) {
    parts.push('', `Not read (not a literal): ${unknown.map((u) => escapeMd(u)).join(', ')}.`);
  }
  // A recurrent cell sized by `units` (ConvLSTM's size is `filters`, which its formula names itself).
  const kind = layerKind(node.className);
  if (node.config.units === undefined && kind?.recurrentCell && kind.python?.positional[0] === 'units') {
    parts.push('', 'Give `units` (M, the hidden units) as a number to see the count.');
  }
  const complete = inputShape !== null && inputShape[inputShape.length - 1] !== null;
  const a = tryParams(node, withD(inputShape, node.className, 1));
  const b = complete ? a : tryParams(node, withD(inputShape, node.className, 2));
  if (a === null) {
    parts.push('', `**0 params**: ${escapeMd(call.name)} has no weights to learn.`);
    return { markdown: parts.join('\n'), total: 0 };
  }
  if (!a || !b) {
    parts.push('', `No parameter formula for ${escapeMd(call.name)} with these arguments.`);
    return { markdown: parts.join('\n'), total: null };
  }
  const changed = Object.keys(a.letters).filter((k) => a.letters[k] !== b.letters[k]);
  if (complete || changed.length === 0) {
    parts.push('', formulaMarkdown(node.className, a));
    if (inputShape) parts.push('', `Input ${code(formatShape(inputShape))} from the arguments.`);
    return { markdown: parts.join('\n'), total: a.total };
  }
  parts.push('', formulaMarkdown(node.className, a, { unknownLetters: changed }));
  return { markdown: parts.join('\n'), total: null };
}
