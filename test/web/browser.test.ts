// The web build in headless Chromium, on real files. The bundles are built as esbuild.mjs builds them
// (scripts/web-builds.mjs, platform 'browser'); the Web Worker (dist/web/worker.js) is started by a page served from
// localhost through webWorkers.ts and a RunSession, exactly as the web extension host starts it. It reads the model's
// bytes, and its summary and forward outputs are compared with values Keras printed (../shared/golden) and with the
// independent reference outputs (../shared/models/expected), never with values this code produced.
// Run: node --test --import tsx test/web/browser.test.ts

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as esbuild from 'esbuild';
import { unzipSync, zipSync } from 'fflate';
import { chromium, type Browser, type Page } from 'playwright-core';
import { webBuilds } from '../../scripts/web-builds.mjs';

const repo = path.resolve(__dirname, '../..');
const shared = path.resolve(repo, '../shared');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kri-web-'));
const golden = JSON.parse(fs.readFileSync(path.join(shared, 'golden', 'golden.json'), 'utf8')) as { cases: { id: string; input: unknown; keras_output: number[][] }[] };
const catalog = JSON.parse(fs.readFileSync(path.join(shared, 'models', 'catalog.json'), 'utf8'));
const catalogEntries: { id: string; file: string; total_params: number }[] = Array.isArray(catalog) ? catalog : Object.values(catalog.files ?? catalog.models ?? catalog);

/** Why this test cannot run here, or undefined. */
function missing(): string | undefined {
  if (!fs.existsSync(chromiumPath)) return `Chromium is not installed at ${chromiumPath}: run apt-get install -y chromium`;
  if (!fs.existsSync(path.join(shared, 'golden'))) return `the golden files are not at ${shared}/golden`;
  return undefined;
}

let server: http.Server | undefined;
let base = '';
let browser: Browser | undefined;
let page: Page | undefined;
const bundles: Record<string, string> = {};

/** Serves the built bundles under /dist/web/, the page, and the shared model files under /shared/ (read-only). */
function serve(): Promise<void> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.json': 'application/json' };
  server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]);
    let file: string | undefined;
    if (url === '/' || url === '/index.html') file = path.join(out, 'index.html');
    else if (url === '/page.js' || url.startsWith('/dist/web/') || url.startsWith('/made/')) file = path.join(out, url.slice(1));
    else if (url.startsWith('/shared/')) file = path.join(shared, url.slice('/shared/'.length));
    const inside = file && (file.startsWith(out + path.sep) || file.startsWith(shared + path.sep));
    if (!file || !inside || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server!.listen(0, '127.0.0.1', () => {
    base = `http://127.0.0.1:${(server!.address() as { port: number }).port}`;
    resolve();
  }));
}

before(async () => {
  if (missing()) return;
  const common = { bundle: true, sourcemap: false, minify: true, logLevel: 'error' as const, target: 'es2022', absWorkingDir: repo };
  const builds = webBuilds(common);
  for (const b of builds) await esbuild.build({ ...b, outfile: path.join(out, b.outfile) });
  bundles.worker = fs.readFileSync(path.join(out, 'dist/web/worker.js'), 'utf8');
  bundles.extension = fs.readFileSync(path.join(out, 'dist/web/extension.js'), 'utf8');
  const worker = builds.find((b) => b.outfile === 'dist/web/worker.js')!;
  // The page is built with the web build's own options (same alias, platform 'browser').
  await esbuild.build({ ...worker, entryPoints: ['test/web/page.ts'], outfile: path.join(out, 'page.js') });
  fs.writeFileSync(path.join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>web build</title><script src="/page.js"></script>');
  await serve();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/index.html`);
  await page.waitForFunction(() => 'kri' in globalThis, undefined, { timeout: 10_000 });
  assert.deepEqual(errors, [], 'the page loaded without errors');
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  fs.rmSync(out, { recursive: true, force: true });
});

function close(actual: number[], expected: number[], what: string, rel = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= 1e-5 + rel * Math.abs(expected[i]), `${what}[${i}]: ${a} vs reference ${expected[i]}`));
}

const call = <T>(fn: string, ...args: unknown[]): Promise<T> =>
  page!.evaluate(([f, a]) => (globalThis as any).kri[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;

test('the web bundles have no Node import (the host entry requires only vscode) and the page has no Node globals', { skip: missing() }, async () => {
  // platform 'browser' already fails the build on a Node import; this guards against one slipping in as a require.
  const nodeModules = /require\(\s*["'](node:[\w/]+|fs|path|zlib|os|worker_threads|child_process|crypto|stream|util|buffer|net|http|events)["']\s*\)|from\s*["']node:/;
  for (const [name, text] of Object.entries(bundles)) {
    assert.doesNotMatch(text, nodeModules, `${name} bundle`);
    assert.ok(text.length < 1_500_000, `${name}: ${text.length} bytes`);
  }
  const required = new Set([...bundles.extension.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]));
  assert.deepEqual([...required], ['vscode'], 'the web host entry requires nothing but vscode');
  assert.doesNotMatch(bundles.worker, /require\(/, 'the worker is one self-contained script');
  assert.deepEqual(await call<string[]>('nodeGlobals'), [], 'the page has no process, require or Buffer');
});

for (const id of ['b_simplernn5_tanh', 'a_simplernn2_linear']) {
  for (const ext of ['.keras', '.h5']) {
    test(`golden ${id}${ext}: the Web Worker's forward pass gives the output Keras printed`, { skip: missing() }, async () => {
      const c = golden.cases.find((x) => x.id === id)!;
      const r = await call<any>('run', `/shared/golden/${id}${ext}`, JSON.stringify(c.input));
      assert.equal(r.error, undefined, r.error);
      close(r.outputs[0].data, c.keras_output.flat(), `${id}${ext} output`);
      close(r.again[0], c.keras_output.flat(), `${id}${ext} second run on the held model`);
      assert.equal(r.held, true, 'the worker kept the model after the first run');
      assert.ok(r.traces >= 1, 'the recurrent layer was traced');
    });
  }
}

test('golden b.keras in the reading worker: 57 parameters, 45 + 12', { skip: missing() }, async () => {
  const s = await call<any>('summarize', '/shared/golden/b_simplernn5_tanh.keras');
  assert.equal(s.error, undefined, s.error);
  assert.equal(s.totalParams, 57);
  assert.deepEqual(s.layers.filter((l: any) => l.params > 0).map((l: any) => l.params), [45, 12]);
});

// Real files: a Keras 3 .keras zip with Bidirectional LSTMs (written by tf.keras 2.15), a Keras 2 .h5 with a GRU, and a
// weights-only file whose architecture JSON comes as text (as the host reads it through VS Code's file system).
const real = [
  { id: 'weather-bilstm-tfk215' },
  { id: 'stock-gru-functional' },
  { id: 'patalt-simplernn-weights', config: 'patalt-simplernn-weights.config.json' },
];
for (const m of real) {
  test(`${m.id}: counts from the reading worker and the forward output match the references`, { skip: missing() }, async () => {
    const entry = catalogEntries.find((e) => e.id === m.id)!;
    const configUrl = m.config ? `/shared/models/files/${m.config}` : undefined;
    const s = await call<any>('summarize', `/shared/models/files/${entry.file}`, configUrl);
    assert.equal(s.error, undefined, s.error);
    assert.equal(s.totalParams, entry.total_params, 'total parameters as the catalog counts them');
    const expected = JSON.parse(fs.readFileSync(path.join(shared, 'models', 'expected', `${m.id}.json`), 'utf8'));
    const input = JSON.parse(fs.readFileSync(path.join(shared, 'models', 'inputs', `${m.id}.json`), 'utf8'));
    const r = await call<any>('run', `/shared/models/files/${entry.file}`, JSON.stringify(input.inputs), configUrl);
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.stopped, null);
    assert.deepEqual(r.outputs[0].shape, expected.output_shape);
    close(r.outputs[0].data, (expected.output as unknown[]).flat(Infinity) as number[], `${m.id} output`);
  });
}

test("golden b.keras re-zipped with deflated members: the browser's DecompressionStream inflates it to Keras's output", { skip: missing() }, async () => {
  // Keras stores members uncompressed; a re-zipped file (a zip tool, an upload) deflates them.
  const members = unzipSync(fs.readFileSync(path.join(shared, 'golden', 'b_simplernn5_tanh.keras')));
  const deflated = zipSync(Object.fromEntries(Object.entries(members).map(([k, v]) => [k, [v, { level: 6 }]])) as any);
  fs.mkdirSync(path.join(out, 'made'), { recursive: true });
  fs.writeFileSync(path.join(out, 'made', 'b-deflated.keras'), deflated);
  const c = golden.cases.find((x) => x.id === 'b_simplernn5_tanh')!;
  const r = await call<any>('run', '/made/b-deflated.keras', JSON.stringify(c.input));
  assert.equal(r.error, undefined, r.error);
  close(r.outputs[0].data, c.keras_output.flat(), 'deflated b output');
  // The same member with a directory that declares fewer bytes than it inflates to: refused in one sentence.
  const liar = Buffer.from(deflated);
  let p = liar.readUInt32LE(liar.length - 22 + 16);
  let patched = 0;
  for (; p < liar.length - 22; ) {
    const nameLength = liar.readUInt16LE(p + 28);
    const name = liar.subarray(p + 46, p + 46 + nameLength).toString();
    if (name === 'config.json') {
      liar.writeUInt32LE(100, p + 24);
      patched++;
    }
    p += 46 + nameLength + liar.readUInt16LE(p + 30) + liar.readUInt16LE(p + 32);
  }
  assert.equal(patched, 1, 'the directory entry of config.json was found');
  const refused = await call<any>('runBytes', Array.from(liar), 'liar.keras');
  assert.match(refused.error, /^liar\.keras: the member "config\.json" inflates to more than the 100 bytes its directory declares; the file is damaged or crafted\.$/);
});

test('a truncated file and a weights-only file without its JSON get one sentence from the Web Worker', { skip: missing() }, async () => {
  const bytes = Array.from(fs.readFileSync(path.join(shared, 'golden', 'b_simplernn5_tanh.keras')).subarray(0, 700));
  const cut = await call<any>('runBytes', bytes, 'cut.keras');
  assert.match(cut.error, /^cut\.keras .*\.$/);
  assert.doesNotMatch(cut.error, /\n|at .*\.js|undefined/);
  const weights = await call<any>('summarize', '/shared/models/files/patalt-simplernn-weights.h5');
  assert.match(weights.error, /holds only weights \(saved with save_weights\); give its architecture JSON/);
});
