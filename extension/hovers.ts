// The explanations shown on hover: tree tooltips, the Python hover and (as plain Markdown text) the panel.
// Pure strings, no `vscode` import, so unit tests and the webview can use them; callers wrap them in
// MarkdownString. The formulas come from the layer modules (ParamFormula), never from here.

import type { LayerNode } from './keras/model';
import type { LayerSummary, ModelSummary, WeightSummary } from './keras/summary';
import type { ParamFormula } from './keras/layers/types';
import { layerEnv, layerKind } from './keras/layers/index';
import { LETTER_MEANING, formatShape, type Shape } from './keras/shapes';
import { layerFromCall, type PyCall } from './keras/pythonCall';
import type { ChainInput } from './keras/pythonModel';
import { widthMeaning, widthMeanings, type ShapeSource } from './keras/inputWidth';
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

/** "D = 3 input features per time step, M = 5 hidden units" for the letters a formula uses; `meanings` says it better where it can. */
export function lettersLine(letters: Record<string, number | null>, meanings: Record<string, string> = {}): string {
  return Object.entries(letters)
    .map(([k, v]) => {
      const meaning = meanings[k] ?? (LETTER_MEANING as Record<string, string>)[k];
      const value = v === null ? '?' : String(v);
      return meaning ? `${k} = ${value} ${meaning}` : `${k} = ${value}`;
    })
    .join(', ');
}

/** What the letter naming a layer's input width means here (inputWidth.ts), with names escaped for Markdown. */
export function inputMeaning(className: string, letter: string, source: ShapeSource | 'unknown' | null): string {
  return widthMeaning(className, letter, source, (n) => escapeMd(n, 80));
}

/** The formula block shared by tree tooltips and hovers: letters, numbers, total, weight table, note. */
export function formulaMarkdown(
  className: string,
  f: ParamFormula,
  options: { unknownLetters?: string[]; meanings?: Record<string, string>; unknownWhy?: string } = {},
): string {
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
  if (Object.keys(known).length > 0) lines.push('', lettersLine(known, options.meanings));
  if (unknown.size > 0) {
    const which = [...unknown].join(', ');
    lines.push(
      '',
      options.unknownWhy ??
        `${which} ${unknown.size === 1 ? 'comes' : 'come'} from the layer's input: give \`input_shape=(T, D)\` (or follow a layer with known output) to get the count.`,
    );
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

/** Tooltip of a layer in the Model Layers tree (and the panel's layer table); `model` names the layer before it. */
export function layerTooltip(layer: LayerSummary, model?: ModelSummary): string {
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
    lines.push(formulaMarkdown(layer.className, layer.formula, { meanings: widthMeanings(layer, model, (n) => escapeMd(n, 80)) }));
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
function tryParams(node: LayerNode, inputs: Shape[]): ParamFormula | null | undefined {
  const kind = layerKind(node.className);
  if (!kind) return undefined;
  try {
    return kind.params(node, inputs, layerEnv(3));
  } catch {
    return undefined;
  }
}

/** The input shape with the input size set to `d` (T stays as given or None); tokens have no D. */
function withD(shape: Shape | null, className: string, d: number): Shape {
  const takes = layerKind(className)?.inputIs ?? 'sequence';
  if (takes === 'tokens') return shape ?? [null, null];
  if (!shape) return takes === 'features' ? [null, d] : [null, null, d];
  return shape.map((x, i) => (i === shape.length - 1 ? d : x));
}

export interface PythonHover {
  markdown: string;
  /** Parameter count when the arguments give every size; null when the formula is shown in letters. */
  total: number | null;
}

/**
 * The hover for a Keras layer call in Python source. The input comes from the code before it (`chain`: the layer
 * before in a Sequential, the tensor a functional call gets), else from the call's own `input_shape`. The count
 * comes from the layer module's params(); the letters naming the input width are found by asking params() with two
 * widths and seeing which letters change, and are shown as unknown when nothing gives the width.
 */
export function pythonHover(call: PyCall, chain: ChainInput | null = null): PythonHover | null {
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
  const fromChain = chain?.shapes ?? null;
  const inputs: Shape[] | null = fromChain ?? (inputShape ? [inputShape] : null);
  const first = inputs?.[0] ?? null;
  const complete = first !== null && first[first.length - 1] !== null;
  const rest = inputs?.slice(1) ?? [];
  const a = tryParams(node, [withD(first, node.className, 1), ...rest]);
  const b = tryParams(node, [withD(first, node.className, 2), ...rest]);
  const actual = complete ? tryParams(node, inputs!) : a;
  if (actual === null) {
    parts.push('', `**0 params**: ${escapeMd(call.name)} has no weights to learn.`);
    return { markdown: parts.join('\n'), total: 0 };
  }
  if (!actual || (!complete && !b)) {
    parts.push('', `No parameter formula for ${escapeMd(call.name)} with these arguments.`);
    return { markdown: parts.join('\n'), total: null };
  }
  // The letters that follow the input width (D for Dense and the RNNs; none for Embedding, whose input is token ids).
  const widthLetters = a && b ? Object.keys(a.letters).filter((k) => a.letters[k] !== b.letters[k]) : [];
  // A chain that breaks before this layer (a custom layer, a variable from elsewhere) is said, not guessed.
  const broken = !complete && chain !== null && !chain.first && !chain.shapes && !inputShape;
  const source: ShapeSource | 'unknown' | null = fromChain && complete ? chain!.from : broken ? 'unknown' : null;
  const meanings: Record<string, string> = {};
  for (const k of widthLetters) meanings[k] = inputMeaning(node.className, k, source);
  if (complete || widthLetters.length === 0) {
    parts.push('', formulaMarkdown(node.className, actual, { meanings }));
    if (first) parts.push('', `Input ${code(formatShape(first))} ${fromChain ? 'from the code before it' : 'from the arguments'}.`);
    return { markdown: parts.join('\n'), total: actual.total };
  }
  const unknownWhy = broken
    ? `${widthLetters.join(', ')} ${widthLetters.length === 1 ? 'comes' : 'come'} from the layer before, and the code before it does not give that layer's width${chain?.broken ? ` (the chain stops at ${escapeMd(chain.broken, 80)})` : ''}.`
    : undefined;
  parts.push('', formulaMarkdown(node.className, actual, { unknownLetters: widthLetters, meanings, ...(unknownWhy ? { unknownWhy } : {}) }));
  return { markdown: parts.join('\n'), total: null };
}
