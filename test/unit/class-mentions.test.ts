// Layer class names stay in their modules: outside extension/keras/layers/, the source of the extension and the
// webview names these twelve classes at most 6 times (help text only), so adding a kind never means editing the
// house. Comments do not count; strings and code do. Comments are found by TypeScript's own parser.

import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../..');
const CLASSES = ['SimpleRNN', 'LSTM', 'GRU', 'Bidirectional', 'TimeDistributed', 'Conv1D', 'Conv2D', 'ConvLSTM2D', 'Dense', 'Embedding', 'Attention', 'BatchNormalization'];
const MENTION = new RegExp(`\\b(?:${CLASSES.join('|')})\\b`, 'g');
const MAX_MENTIONS = 6;

/** The text with every comment blanked out (newlines kept, so line numbers stay). */
function withoutComments(text: string, fileName: string): string {
  const kind = fileName.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const out = text.split('');
  // Every comment is trivia before a token (on its own line: leading) or after one (on the same line: trailing).
  const visit = (node: ts.Node): void => {
    for (const r of [...(ts.getLeadingCommentRanges(text, node.pos) ?? []), ...(ts.getTrailingCommentRanges(text, node.end) ?? [])]) {
      for (let i = r.pos; i < r.end; i++) if (out[i] !== '\n') out[i] = ' ';
    }
    for (const child of node.getChildren(source)) visit(child);
  };
  visit(source);
  return out.join('');
}

interface Mention {
  /** `file:line` */
  where: string;
  name: string;
  line: string;
}

function mentionsIn(text: string, fileName: string): Mention[] {
  const found: Mention[] = [];
  withoutComments(text, fileName)
    .split('\n')
    .forEach((line, i) => {
      for (const m of line.matchAll(MENTION)) found.push({ where: `${fileName}:${i + 1}`, name: m[0], line: line.trim().slice(0, 140) });
    });
  return found;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...sourceFiles(path));
    } else if (/\.(ts|mjs|js)$/.test(entry.name)) out.push(path);
  }
  return out;
}

test('the count sees code and strings, never comments (template literals and regexes included)', () => {
  const sample = [
    '// LSTM in a line comment',
    "const a = 'LSTM'; /* GRU in a block comment */ const b = /Dense/;",
    '/** Embedding in a doc comment */',
    'const c = `${a}// in a template, not a comment: SimpleRNN`; const e = ConvLSTM2Dx + LSTMCell;',
    'const d = ConvLSTM2D; // Attention',
    '/* a block comment',
    '   over lines: BatchNormalization */ const f = { Bidirectional: 1 };',
  ].join('\n');
  const found = mentionsIn(sample, 'sample.ts').map((m) => `${m.where} ${m.name}`);
  assert.deepEqual(found, ['sample.ts:2 LSTM', 'sample.ts:2 Dense', 'sample.ts:4 SimpleRNN', 'sample.ts:5 ConvLSTM2D', 'sample.ts:7 Bidirectional']);
});

test(`layer class names outside extension/keras/layers/: at most ${MAX_MENTIONS} (help text only)`, () => {
  const layersDir = join(ROOT, 'extension', 'keras', 'layers');
  const files = [...sourceFiles(join(ROOT, 'extension')), ...sourceFiles(join(ROOT, 'webview'))].filter((f) => !f.startsWith(layersDir + '/'));
  assert.ok(files.length > 20, `found only ${files.length} source files under ${ROOT}`);
  const mentions = files.flatMap((f) => mentionsIn(readFileSync(f, 'utf8'), relative(ROOT, f)));
  assert.ok(
    mentions.length <= MAX_MENTIONS,
    `${mentions.length} mentions of layer class names outside extension/keras/layers/ (at most ${MAX_MENTIONS}):\n${mentions.map((m) => `${m.where}: ${m.name} in ${m.line}`).join('\n')}`,
  );
});
