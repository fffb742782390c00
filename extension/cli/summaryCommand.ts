// `keras-inspect summary MODEL [--config ARCH.json] [--json]`: a model.summary()-style table with the
// notebook letters on every shape and the parameter counts explained.

import { loadModel } from '../keras/documentNode';
import { LETTER_MEANING, type Shape } from '../keras/shapes';
import { summarize, type LayerSummary, type ModelSummary } from '../keras/summary';
import { InputError } from '../keras/errors';
import type { CliIo } from './io';
import { cell, jsonText, listCell, textLine, WORD_CELL, wrapped } from './text';

interface SummaryArgs {
  model: string;
  config?: string;
  json: boolean;
}

/** The JSON the issue specifies: shapes as arrays with null for None, children nested. */
export function summaryJson(s: ModelSummary): unknown {
  const layer = (l: LayerSummary): unknown => ({
    name: l.name,
    className: l.className,
    ...(l.declaredClassName ? { declaredClassName: l.declaredClassName } : {}),
    outputShape: l.outputShape,
    params: l.params,
    trainableParams: l.trainableParams,
    paramsFormula: l.paramsFormula,
    weights: l.weights.map((w) => ({ name: w.name, shape: w.shape })),
    children: l.children.map(layer),
    ...(l.notes.length ? { notes: l.notes } : {}),
  });
  return {
    file: s.file,
    format: s.format,
    kerasVersion: s.kerasVersion,
    backend: s.backend,
    modelClass: s.modelClass,
    inputs: s.inputs,
    layers: s.layers.map(layer),
    totalParams: s.totalParams,
    trainableParams: s.trainableParams,
    nonTrainableParams: s.nonTrainableParams,
    warnings: s.warnings,
  };
}

const n = (x: number) => x.toLocaleString('en-US');

function pad(text: string, width: number): string {
  return text.length >= width ? text + ' ' : text + ' '.repeat(width - text.length);
}

/** Nesting shown by indentation up to this depth; deeper layers are indented no further. */
const MAX_INDENT = 16;

/** The text table: name (class), annotated output shape, params, and connections for functional graphs. */
function summaryText(s: ModelSummary): string {
  // Every name, class, version and note below comes from the file: cell()/textLine() make it one bounded line.
  const lines: string[] = [];
  const version = s.kerasVersion == null ? 'unknown' : cell(s.kerasVersion, WORD_CELL);
  lines.push(`Model: "${cell(s.name)}" (${cell(s.modelClass, WORD_CELL)}), ${s.format}, Keras ${version}${s.backend ? `, ${cell(s.backend, WORD_CELL)}` : ''}`);
  lines.push(textLine(`File: ${s.file}`));
  const shapeOf = (shape: Shape) => `(${shape.map((d) => (d === null ? 'None' : d)).join(', ')}${shape.length === 1 ? ',' : ''})`;
  lines.push(`Input: ${listCell(s.inputs.map((i) => `${cell(i.name)} ${shapeOf(i.shape)}`), 240) || 'none declared'}`);
  const rows: [string, string, string, string][] = [];
  const functional = s.layers.some((l) => l.inbound.length > 0);
  const visit = (l: LayerSummary, depth: number) => {
    const kind = l.declaredClassName ? `${cell(l.className, WORD_CELL)}, saved as ${cell(l.declaredClassName, WORD_CELL)}` : cell(l.className, WORD_CELL);
    const inbound = functional ? listCell(l.inbound.map((n) => cell(n, 32)), 120) : '';
    rows.push([`${'  '.repeat(Math.min(depth, MAX_INDENT))}${cell(l.name)} (${kind})`, cell(l.outputShapeText, 100), n(l.params), inbound]);
    for (const c of l.children) visit(c, depth + 1);
  };
  for (const l of s.layers) visit(l, 0);
  const header: [string, string, string, string] = ['Layer (type)', 'Output Shape', 'Param #', functional ? 'Connected to' : ''];
  const widths = [0, 1, 2].map((i) => rows.reduce((w, r) => Math.max(w, r[i].length), header[i].length) + 2);
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0) + (functional ? 20 : 0));
  lines.push(rule('_'));
  lines.push(header.map((h, i) => (i < 3 ? pad(h, widths[i]) : h)).join('').trimEnd());
  lines.push(rule('='));
  rows.forEach((r, i) => {
    lines.push(r.map((c, j) => (j < 3 ? pad(c, widths[j]) : c)).join('').trimEnd());
    lines.push(i === rows.length - 1 ? rule('=') : rule('_'));
  });
  if (!rows.length) lines.push(rule('='));
  lines.push(`Total params: ${n(s.totalParams)}`);
  lines.push(`Trainable params: ${n(s.trainableParams)}`);
  lines.push(`Non-trainable params: ${n(s.nonTrainableParams)}`);
  const explained: string[] = [];
  const explain = (l: LayerSummary) => {
    if (l.paramsFormula) explained.push(...wrapped(`${cell(l.name)}: ${l.paramsFormula}`, '  '));
    if (l.formula?.note) explained.push(...wrapped(l.formula.note, '      '));
    for (const c of l.children) explain(c);
  };
  s.layers.forEach(explain);
  if (explained.length) lines.push('', 'Parameters explained:', ...explained);
  const used = new Set<string>();
  const collect = (l: LayerSummary) => {
    for (const letter of l.outputLetters ?? []) if (letter) used.add(letter);
    l.children.forEach(collect);
  };
  s.layers.forEach(collect);
  if (used.size) lines.push('', `Letters: ${[...used].map((k) => `${k} = ${LETTER_MEANING[k as keyof typeof LETTER_MEANING]}`).join(', ')}.`);
  const notes = s.layers.flatMap((l) => l.notes.flatMap((t) => wrapped(`${cell(l.name)}: ${t}`, '  ')));
  if (notes.length) lines.push('', 'Notes:', ...notes);
  if (s.warnings.length) lines.push('', 'Warnings:', ...s.warnings.flatMap((w) => wrapped(w, '  ')));
  return lines.join('\n');
}

function parseSummaryArgs(argv: string[]): SummaryArgs {
  let model: string | undefined;
  let config: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--debug') continue;
    else if (a === '--config') {
      config = argv[++i];
      if (!config) throw new InputError('--config needs the path of an architecture JSON file.');
    } else if (a.startsWith('--config=')) config = a.slice('--config='.length);
    else if (a.startsWith('-')) throw new InputError(`Unknown option ${cell(a, WORD_CELL)} for summary; see keras-inspect --help.`);
    else if (!model) model = a;
    else throw new InputError(`summary takes one model file, but also got "${cell(a)}".`);
  }
  if (!model) throw new InputError('summary needs a model file: keras-inspect summary MODEL [--config ARCH.json] [--json].');
  return { model, config, json };
}

export async function runSummaryCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseSummaryArgs(argv);
  const doc = await loadModel(args.model, { configPath: args.config });
  const s = summarize(doc);
  io.stdout(args.json ? jsonText(summaryJson(s), 2) : summaryText(s));
  return 0;
}
