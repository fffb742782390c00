// The web extension's bundles (esbuild.mjs adds them to its builds; test/web/ builds them the same way):
// dist/web/extension.js, the web extension host entry (package.json "browser"), and dist/web/worker.js, the Web Worker
// running forward passes and summaries. platform 'browser' makes any other Node import fail the build. The few Node
// modules the host code names are aliased to extension/web/: worker_threads starts Web Workers (workerThreads.ts),
// path is POSIX (path.ts), fs knows only the extension's own bundles (fs.ts), and `process` is process.ts. The core
// (extension/keras/) needs none of them.

/** `common` is esbuild.mjs's shared options (bundle, minify, source maps, target). */
export function webBuilds(common) {
  const web = {
    ...common,
    platform: 'browser',
    alias: {
      'node:worker_threads': './extension/web/workerThreads.ts',
      'node:path': './extension/web/path.ts',
      'node:fs': './extension/web/fs.ts',
      'node:fs/promises': './extension/web/fs.ts',
    },
    // The free name `process` (CPU time, platform) is extension/web/process.ts.
    inject: ['./extension/web/process.ts'],
  };
  return [
    { ...web, format: 'cjs', external: ['vscode'], entryPoints: ['extension/web/extension.ts'], outfile: 'dist/web/extension.js' },
    { ...web, format: 'iife', entryPoints: ['extension/web/worker.ts'], outfile: 'dist/web/worker.js' },
  ];
}
