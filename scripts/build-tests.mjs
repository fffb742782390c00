// Bundles the extension tests for the extension host: test/vscode/index.ts → out/test/index.js and each
// test/vscode/suite/*.test.ts → out/test/suite/*.test.js (cjs, node; `vscode` and `mocha` stay external).
import * as esbuild from 'esbuild';
import { readdirSync, rmSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const suiteDir = join(root, 'test/vscode/suite');
const suites = existsSync(suiteDir) ? readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts')) : [];
const outDir = join(root, 'out/test');
rmSync(outDir, { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
};
await Promise.all([
  esbuild.build({ ...common, entryPoints: ['test/vscode/index.ts'], outfile: 'out/test/index.js' }),
  ...suites.map((f) =>
    esbuild.build({ ...common, entryPoints: [`test/vscode/suite/${f}`], outfile: `out/test/suite/${f.replace(/\.ts$/, '.js')}` })),
]);
console.log(`built out/test/index.js and ${suites.length} suite(s)`);
