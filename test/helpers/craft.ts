// Crafted model files for the hostile-input tests: a .keras zip is a config.json, a metadata.json and a weights
// member, so any config (hostile names, lying dims, deep nesting) can be written around real weights.

import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';

// From the source (test/helpers) or from a bundle (out/test/suite, the VS Code suites): ../shared beside the clone.
export const sharedDir = process.env.KRI_SHARED_DIR
  ? path.resolve(process.env.KRI_SHARED_DIR)
  : ([path.resolve(__dirname, '../../../shared'), path.resolve(__dirname, '../../../../shared')].find((d) => existsSync(path.join(d, 'golden'))) ?? path.resolve(__dirname, '../../../shared'));
export const goldenDir = path.join(sharedDir, 'golden');

/** Strings an attacker puts in a name: code after a newline, a closed docstring, terminal escapes, links, bidi. */
export const HOSTILE_STRINGS: readonly string[] = [
  'x\nimport os; open("PWNED", "w").write("1")  # ',
  'x"""\nopen("PWNED", "w").write("1")\n"""',
  "x'''\nopen('PWNED', 'w').write('1')\n'''",
  'x\\\nopen("PWNED","w")',
  'x\r\nopen("PWNED","w").write("1")',
  'x\u2028open("PWNED","w")',
  '\u001b[2J\u001b[31mRED\u001b]0;title\u0007\u001b[0m',
  '[Open a terminal to fix it](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22touch%20PWNED%5Cn%22%7D)',
  '`](https://evil.example/) [click](https://evil.example/)',
  '<img src=x onerror=alert(1)><script>alert(1)</script>',
  'evil\u202eexe.txt',
  '{{7*7}} ${process.exit(1)} %s %n',
  'a'.repeat(10_000),
  '\ud800lone surrogate',
];

export interface KerasZipParts {
  config: unknown;
  metadata?: unknown;
  /** The weights member's bytes; by default those of golden model b's .keras. */
  weights?: Uint8Array | null;
  /** More members, name → bytes. */
  extra?: Record<string, Uint8Array>;
}

/** Golden model b (SimpleRNN(5) on T=10, D=3, then Dense(2)) as a .keras: its config, metadata and weights. */
export function goldenB(): { config: any; metadata: any; weights: Uint8Array } {
  const members = unzipSync(readFileSync(path.join(goldenDir, 'b_simplernn5_tanh.keras')));
  const text = (n: string) => JSON.parse(new TextDecoder().decode(members[n]));
  return { config: text('config.json'), metadata: text('metadata.json'), weights: members['model.weights.h5'] };
}

/** Writes a .keras zip (members stored, as Keras does) from its parts. */
export function kerasZip(parts: KerasZipParts): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  const add = (name: string, bytes: Uint8Array) => (files[name] = [bytes, { level: 0 }]);
  add('metadata.json', strToU8(JSON.stringify(parts.metadata ?? { keras_version: '3.6.0' })));
  add('config.json', strToU8(JSON.stringify(parts.config)));
  const weights = parts.weights === undefined ? goldenB().weights : parts.weights;
  if (weights) add('model.weights.h5', weights);
  for (const [n, b] of Object.entries(parts.extra ?? {})) add(n, b);
  return zipSync(files);
}

/** Golden model b with every layer and input name replaced by `name` (+ an index, so names stay unique). */
export function goldenBNamed(name: string, metadata?: Record<string, unknown>): Uint8Array {
  const b = goldenB();
  b.config.config.name = name;
  b.config.config.layers.forEach((l: any, i: number) => (l.config.name = `${name}${i}`));
  return kerasZip({ config: b.config, metadata: { ...b.metadata, ...metadata }, weights: b.weights });
}
