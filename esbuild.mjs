// Builds the bundles: the extension host (cjs/node, vscode external), one worker thread serving both model reading
// and forward passes (dist/worker.js: one copy of the core instead of two), the webview (browser iife) and the CLI
// (dist/cli.js, run from the repo, not shipped in the .vsix).
//   node esbuild.mjs                 development: source maps, not minified
//   node esbuild.mjs --production    what the .vsix ships: minified, no source maps (vscode:prepublish)
//   node esbuild.mjs --watch         rebuild on change
//   node esbuild.mjs --metafile      also write dist/meta/<bundle>.json (what is inside each bundle, for esbuild's analyzer)
import * as esbuild from 'esbuild';
import { webBuilds } from './scripts/web-builds.mjs';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const metafile = process.argv.includes('--metafile');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  target: 'es2022',
  metafile,
  // A production build drops development-only branches guarded by process.env.NODE_ENV.
  define: production ? { 'process.env.NODE_ENV': '"production"' } : {},
};

const node = { ...common, platform: 'node', format: 'cjs', external: ['vscode'] };
const browser = { ...common, platform: 'browser', format: 'iife' };

/** One entry per bundle; add new ones here (e.g. the web extension's dist/web/*). */
const builds = [
  { ...node, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['extension/worker.ts'], outfile: 'dist/worker.js' },
  { ...node, entryPoints: ['extension/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...browser, entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' },
  // The web extension (vscode.dev, github.dev): dist/web/extension.js and its Web Worker dist/web/worker.js.
  ...webBuilds(common),
].filter((b) => existsSync(b.entryPoints[0]));

// Stale bundles from older layouts (two workers) and stale maps in a production build must not be packaged.
for (const f of ['dist/forwardWorker.js', 'dist/summaryWorker.js', 'dist/forwardWorker.js.map', 'dist/summaryWorker.js.map']) rmSync(f, { force: true });
if (production) for (const b of builds) rmSync(`${b.outfile}.map`, { force: true });

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  const results = await Promise.all(builds.map((b) => esbuild.build(b)));
  if (metafile) {
    mkdirSync('dist/meta', { recursive: true });
    results.forEach((r, i) => writeFileSync(`dist/meta/${basename(builds[i].outfile, '.js')}.json`, JSON.stringify(r.metafile)));
  }
}
