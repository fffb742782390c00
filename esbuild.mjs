// Builds the bundles: the extension host (cjs/node, vscode external), one worker thread serving both model reading
// and forward passes (dist/worker.js), the webview (browser iife) and the CLI (dist/cli.js, run from the repo, not
// shipped in the .vsix). The Node host and the worker share ONE copy of the core (extension/keras/): dist/worker.js
// also exports every core module (`__core`, keyed by path), and the host bundle takes its core imports from it
// (`require('./worker.js')`, see coreFromWorker) instead of bundling a second copy.
//   node esbuild.mjs                 development: source maps, not minified
//   node esbuild.mjs --production    what the .vsix ships: minified, no source maps (vscode:prepublish)
//   node esbuild.mjs --watch         rebuild on change
//   node esbuild.mjs --metafile      also write dist/meta/<bundle>.json (what is inside each bundle, for esbuild's analyzer)
import * as esbuild from 'esbuild';
import { webBuilds } from './scripts/web-builds.mjs';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = dirname(fileURLToPath(import.meta.url));
const CORE_DIR = join(root, 'extension', 'keras');

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

/** Every core module, as a key the host and the worker agree on: its path from the repo root. */
function coreModules(dir = CORE_DIR) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? coreModules(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [relative(root, join(dir, e.name)).split('\\').join('/')] : []);
}

/** The worker's entry: its two message handlers, plus every core module exported for the host as `__core[path]`. */
function workerEntry() {
  const mods = coreModules();
  return [
    "import './extension/worker';",
    ...mods.map((m, i) => `import * as m${i} from './${m}';`),
    `export const __core = { ${mods.map((m, i) => `${JSON.stringify(m)}: m${i}`).join(', ')} };`,
  ].join('\n');
}

/**
 * Host bundle plugin: an import of a core module from outside the core becomes `require('./worker.js').__core[path]`,
 * loaded on first use (a Proxy knowing the module's export names), so activation does not parse the core.
 * `exportNames` (path → names) comes from the worker built first; without it (watch mode) the require is eager.
 */
const coreFromWorker = (exportNames) => ({
  name: 'core-from-worker',
  setup(build) {
    build.onResolve({ filter: /^\./ }, (args) => {
      if (args.namespace === 'core-proxy') return { path: './worker.js', external: true };
      if (args.importer.startsWith(CORE_DIR)) return undefined;
      const base = resolve(args.resolveDir, args.path);
      const file = [base, `${base}.ts`, join(base, 'index.ts')].find((f) => f.startsWith(CORE_DIR) && f.endsWith('.ts') && existsSync(f));
      return file ? { path: relative(root, file).split('\\').join('/'), namespace: 'core-proxy' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'core-proxy' }, (args) => {
      const key = JSON.stringify(args.path);
      const names = exportNames?.[args.path];
      if (!names) return { contents: `module.exports = require('./worker.js').__core[${key}];`, loader: 'js', resolveDir: root };
      return {
        contents: [
          `let m; const load = () => (m ??= require('./worker.js').__core[${key}]);`,
          `const names = ${JSON.stringify(names)};`,
          // esbuild's import interop reads __esModule, the own keys and their descriptors: all answered without loading.
          `module.exports = new Proxy({}, {`,
          `  get: (_, k) => (k === '__esModule' ? true : load()[k]),`,
          `  has: (_, k) => names.includes(k),`,
          `  ownKeys: () => names,`,
          `  getOwnPropertyDescriptor: (_, k) => (names.includes(k) ? { configurable: true, enumerable: true, get: () => load()[k] } : undefined),`,
          `});`,
        ].join('\n'),
        loader: 'js',
        resolveDir: root,
      };
    });
  },
});

/** Each core module's export names, read from the built worker (it runs no handler on the main thread). */
function coreExportNames(workerFile) {
  const req = createRequire(import.meta.url);
  const file = resolve(root, workerFile);
  delete req.cache[file];
  const core = req(file).__core;
  return Object.fromEntries(Object.entries(core).map(([k, mod]) => [k, Object.keys(mod)]));
}
const browser = { ...common, platform: 'browser', format: 'iife' };

/** One entry per bundle; add new ones here (e.g. the web extension's dist/web/*). */
const builds = [
  { ...node, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js', hostNeedsWorker: true },
  { ...node, stdin: { contents: workerEntry(), resolveDir: root, sourcefile: 'worker-entry.ts', loader: 'ts' }, outfile: 'dist/worker.js' },
  { ...node, entryPoints: ['extension/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...browser, entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' },
  // The web extension (vscode.dev, github.dev): dist/web/extension.js and its Web Worker dist/web/worker.js.
  ...webBuilds(common),
].filter((b) => b.stdin || existsSync(b.entryPoints[0]));

// Stale bundles from older layouts (two workers) and stale maps in a production build must not be packaged.
for (const f of ['dist/forwardWorker.js', 'dist/summaryWorker.js', 'dist/forwardWorker.js.map', 'dist/summaryWorker.js.map']) rmSync(f, { force: true });
if (production) for (const b of builds) rmSync(`${b.outfile}.map`, { force: true });

// The host bundle is built after the worker (it needs the worker's export names); every other bundle in parallel.
const options = ({ hostNeedsWorker, ...b }, names) => (hostNeedsWorker ? { ...b, plugins: [coreFromWorker(names)] } : b);
if (watch) {
  for (const b of builds) await (await esbuild.context(options(b))).watch();
} else {
  const host = builds.filter((b) => b.hostNeedsWorker);
  const results = new Map();
  await Promise.all(builds.filter((b) => !b.hostNeedsWorker).map(async (b) => results.set(b, await esbuild.build(b))));
  const names = coreExportNames('dist/worker.js');
  for (const b of host) results.set(b, await esbuild.build(options(b, names)));
  if (metafile) {
    mkdirSync('dist/meta', { recursive: true });
    for (const [b, r] of results) writeFileSync(`dist/meta/${basename(b.outfile, '.js')}.json`, JSON.stringify(r.metafile));
  }
}
