// `npm start`: builds the extension, then runs the real VS Code (code-server 4.100.3, installed on first use into
// .cache/vscode-runtime) with the extension loaded from source in development mode, on a folder of sample models,
// and prints the URL to open in a browser. Runs until Ctrl-C.
//
//   npm start -- [--folder DIR] [--port N] [--host ADDR] [--no-build]
//   --folder DIR  the workspace to open (default: media/samples, the golden notebook models and the sunspots model;
//                 files are only read, never written)
//   --port N      port to listen on (default 8080, or a free one when 8080 is taken)
//   --host ADDR   address to bind (default 127.0.0.1; anything else exposes an unauthenticated VS Code)
//   --no-build    skip `node esbuild.mjs`

import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import * as net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };

if (flag('help') || flag('h')) {
  console.log('usage: npm start -- [--folder DIR] [--port N] [--host ADDR] [--no-build]');
  process.exit(0);
}

const folder = resolve(value('folder') ?? join(root, 'media/samples'));
if (!existsSync(folder) || !statSync(folder).isDirectory()) {
  console.error(`${folder} is not a folder: give --folder an existing folder of model files.`);
  process.exit(2);
}
const host = value('host') ?? '127.0.0.1';

function sh(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${what} failed (exit ${r.status ?? r.signal}).`);
    process.exit(1);
  }
}

if (!flag('no-build')) sh(process.execPath, ['esbuild.mjs'], 'building the extension (node esbuild.mjs)');
const h = await tsImport(pathToFileURL(join(root, 'test/vscode/harness.ts')).href, import.meta.url);
if (!existsSync(h.codeServerBin)) {
  console.log('VS Code (code-server 4.100.3) is not installed yet: installing it once into .cache/vscode-runtime.');
  sh('bash', [join(root, 'scripts/install-code-server.sh')], 'installing code-server (needs: apt-get install -y libkrb5-dev g++ make python3)');
}

function portFree(port) {
  return new Promise((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });
}
let port = value('port') ? Number(value('port')) : 8080;
if (!Number.isInteger(port) || port <= 0 || port > 65535) { console.error(`--port must be a port number, got "${value('port')}".`); process.exit(2); }
if (!(await portFree(port))) {
  if (value('port')) { console.error(`port ${port} is in use: choose another with --port.`); process.exit(2); }
  port = await h.freePort();
}

const cs = await h.startCodeServer({ workspace: folder, port, host });
const browserBase = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
const url = h.workbenchUrl(browserBase, folder, h.devPayload({ base: browserBase }, root));
console.log(`
Keras RNN Inspector is running in VS Code (code-server ${'4.100.3'}), extension loaded from ${root}.
Open this URL in a browser:

  ${url}

Then right-click a model in the Explorer → "Inspect RNN…", or F1 → "Keras RNN Inspector: Run Forward Pass…".
Workspace: ${folder}
code-server log: ${cs.logFile}
Press Ctrl-C to stop.
`);
if (host !== '127.0.0.1' && host !== 'localhost') console.warn(`warning: bound to ${host} with no password; anyone who can reach this port gets a VS Code.`);

let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping code-server…');
  await cs.stop();
  rmSync(cs.root, { recursive: true, force: true });
  process.exit(code);
};
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
cs.child.on('exit', (c) => { if (!stopping) { console.error(`code-server exited (${c}); see ${cs.logFile}`); process.exit(1); } });
