// Builds the bundles: extension host (cjs/node, vscode external), the forward-pass and model-reading workers,
// the webview (browser iife) and the CLI (dist/cli.js). `--production` minifies, `--watch` rebuilds.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  target: 'es2022',
};

const node = { ...common, platform: 'node', format: 'cjs', external: ['vscode'] };

const builds = [
  { ...node, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['extension/forwardWorker.ts'], outfile: 'dist/forwardWorker.js' },
  { ...node, entryPoints: ['extension/summaryWorker.ts'], outfile: 'dist/summaryWorker.js' },
  { ...node, entryPoints: ['extension/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...common, platform: 'browser', format: 'iife', entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' },
].filter((b) => existsSync(b.entryPoints[0]));

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
