// Virtual workspaces: the extension reads and writes only through vscode.workspace.fs, so a model on a file system
// that is not the disk works like one on disk. The suite registers an in-memory FileSystemProvider (`kri-mem:`)
// inside the extension host, copies real model files into it, and opens, inspects, runs and exports through it.
// Expected numbers come from ../shared (golden README 57 = 45 + 12, golden.json's Keras output, catalog.json totals,
// models/expected reference outputs), never from the code under test.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../extension/extension';
import type { LayerTreeNode } from '../../../extension/layerTree';
import type { RunOutcome } from '../../../extension/inspectorSession';
import type { InspectOutcome } from '../../../extension/commands';
import { waitFor } from './wait';

const EXTENSION_ID = 'keras-rnn-inspector.keras-rnn-inspector';
const SCHEME = 'kri-mem';

type Node = { kind: 'file'; data: Uint8Array; mtime: number } | { kind: 'dir'; mtime: number };

/** A minimal in-memory file system: what a virtual workspace's provider (github.dev, a remote repo) looks like. */
class MemFs implements vscode.FileSystemProvider {
  readonly nodes = new Map<string, Node>([['/', { kind: 'dir', mtime: Date.now() }]]);
  /** Every path read with readFile, so the suite can see the extension went through this provider. */
  readonly reads: string[] = [];
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  private get(uri: vscode.Uri): Node {
    const n = this.nodes.get(uri.path);
    if (!n) throw vscode.FileSystemError.FileNotFound(uri);
    return n;
  }
  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }
  stat(uri: vscode.Uri): vscode.FileStat {
    const n = this.get(uri);
    return { type: n.kind === 'dir' ? vscode.FileType.Directory : vscode.FileType.File, ctime: n.mtime, mtime: n.mtime, size: n.kind === 'file' ? n.data.length : 0 };
  }
  readDirectory(uri: vscode.Uri): [string, vscode.FileType][] {
    if (this.get(uri).kind !== 'dir') throw vscode.FileSystemError.FileNotADirectory(uri);
    const prefix = uri.path === '/' ? '/' : `${uri.path}/`;
    const out: [string, vscode.FileType][] = [];
    for (const [p, n] of this.nodes) {
      if (p !== '/' && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) out.push([p.slice(prefix.length), n.kind === 'dir' ? vscode.FileType.Directory : vscode.FileType.File]);
    }
    return out;
  }
  createDirectory(uri: vscode.Uri): void {
    this.nodes.set(uri.path, { kind: 'dir', mtime: Date.now() });
  }
  readFile(uri: vscode.Uri): Uint8Array {
    const n = this.get(uri);
    if (n.kind !== 'file') throw vscode.FileSystemError.FileIsADirectory(uri);
    this.reads.push(uri.path);
    return n.data.slice();
  }
  writeFile(uri: vscode.Uri, content: Uint8Array, options: { create: boolean; overwrite: boolean }): void {
    const exists = this.nodes.has(uri.path);
    if (!exists && !options.create) throw vscode.FileSystemError.FileNotFound(uri);
    if (exists && !options.overwrite) throw vscode.FileSystemError.FileExists(uri);
    const dir = uri.path.slice(0, uri.path.lastIndexOf('/')) || '/';
    if (this.nodes.get(dir)?.kind !== 'dir') throw vscode.FileSystemError.FileNotFound(uri.with({ path: dir }));
    this.nodes.set(uri.path, { kind: 'file', data: content.slice(), mtime: Date.now() });
    this.emitter.fire([{ type: exists ? vscode.FileChangeType.Changed : vscode.FileChangeType.Created, uri }]);
  }
  delete(uri: vscode.Uri): void {
    this.nodes.delete(uri.path);
    this.emitter.fire([{ type: vscode.FileChangeType.Deleted, uri }]);
  }
  rename(oldUri: vscode.Uri, newUri: vscode.Uri): void {
    const n = this.get(oldUri);
    this.nodes.delete(oldUri.path);
    this.nodes.set(newUri.path, n);
  }
  /** Puts a real file's bytes at `memPath` (its folders created). */
  put(memPath: string, data: Uint8Array): vscode.Uri {
    const parts = memPath.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      if (!this.nodes.has(dir)) this.nodes.set(dir, { kind: 'dir', mtime: Date.now() });
    }
    this.nodes.set(memPath, { kind: 'file', data: new Uint8Array(data), mtime: Date.now() });
    return vscode.Uri.from({ scheme: SCHEME, path: memPath });
  }
}

let api: ExtensionApi;
let shared: string;
let mem: MemFs;
let registration: vscode.Disposable;

const memUri = (p: string) => vscode.Uri.from({ scheme: SCHEME, path: p });
const fmt = (n: number) => n.toLocaleString('en-US');

function catalogTotal(file: string): number {
  const catalog = JSON.parse(fs.readFileSync(path.join(shared, 'models', 'catalog.json'), 'utf8')) as { file: string; total_params: number | null }[];
  const entry = catalog.find((e) => e.file === file);
  assert.ok(entry && typeof entry.total_params === 'number', `catalog has no total for ${file}`);
  return entry.total_params;
}

function goldenB(): { input: number[][][]; keras_output: number[][] } {
  const g = JSON.parse(fs.readFileSync(path.join(shared, 'golden', 'golden.json'), 'utf8')) as { cases: { id: string; input: number[][][]; keras_output: number[][] }[] };
  return g.cases.find((c) => c.id === 'b_simplernn5_tanh')!;
}

async function treeOf(uri: vscode.Uri): Promise<{ root: LayerTreeNode; rootItem: vscode.TreeItem; layers: { node: LayerTreeNode; item: vscode.TreeItem }[] }> {
  await api.layerTree.show(uri);
  const [root] = await api.layerTree.getChildren();
  assert.ok(root, 'the tree has a root');
  const layers = (await api.layerTree.getChildren(root)).map((node) => ({ node, item: api.layerTree.getTreeItem(node) }));
  return { root, rootItem: api.layerTree.getTreeItem(root), layers };
}

suite('Virtual workspace: models on an in-memory file system (kri-mem:)', function () {
  this.timeout(120_000);

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not loaded');
    api = await ext.activate();
    shared = process.env.KRI_SHARED_DIR ? path.resolve(process.env.KRI_SHARED_DIR) : path.resolve(ext.extensionPath, '..', 'shared');
    mem = new MemFs();
    registration = vscode.workspace.registerFileSystemProvider(SCHEME, mem, { isCaseSensitive: true });
    const golden = (f: string) => new Uint8Array(fs.readFileSync(path.join(shared, 'golden', f)));
    mem.put('/golden/b_simplernn5_tanh.h5', golden('b_simplernn5_tanh.h5'));
    mem.put('/golden/b_simplernn5_tanh.keras', golden('b_simplernn5_tanh.keras'));
    const files = (f: string) => new Uint8Array(fs.readFileSync(path.join(shared, 'models', 'files', f)));
    mem.put('/weights/patalt-simplernn-weights.h5', files('patalt-simplernn-weights.h5'));
    mem.put('/weights/patalt-simplernn-weights.config.json', files('patalt-simplernn-weights.config.json'));
    mem.put('/series/sunspot-rnn.h5', new Uint8Array(fs.readFileSync(path.join(shared, 'models', 'files', 'sunspot-rnn.h5'))));
    mem.put('/series/sunspots-data.csv', new Uint8Array(fs.readFileSync(path.join(shared, 'models', 'files', 'sunspots-data.csv'))));
    mem.createDirectory(memUri('/out'));
  });

  suiteTeardown(() => registration?.dispose());
  teardown(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  test('the tree of golden b on kri-mem: 57 params = SimpleRNN 45 + Dense 12 (golden README), read through the provider', async () => {
    for (const f of ['b_simplernn5_tanh.h5', 'b_simplernn5_tanh.keras']) {
      const uri = memUri(`/golden/${f}`);
      const before = mem.reads.length;
      const t = await treeOf(uri);
      assert.equal(t.root.kind, 'model', `${f}: ${String(t.rootItem.description)}`);
      assert.equal(t.rootItem.label, f);
      assert.match(String(t.rootItem.description), /^57 params/, f);
      assert.match(String(t.layers.find((l) => String(l.item.label).startsWith('SimpleRNN'))?.item.description), /^45 params/);
      assert.match(String(t.layers.find((l) => String(l.item.label).startsWith('Dense'))?.item.description), /^12 params/);
      assert.ok(mem.reads.slice(before).includes(`/golden/${f}`), `the model was read through the kri-mem provider: ${mem.reads.join(', ')}`);
    }
  });

  test('the custom editor opens a kri-mem model and its page completes the ready handshake', async () => {
    const uri = memUri('/golden/b_simplernn5_tanh.keras');
    await vscode.commands.executeCommand('vscode.openWith', uri, 'kerasRnnInspector.modelEditor');
    const entry = await waitFor('editor for the kri-mem model', () => api.editors.entries().find((e) => e.uri.toString() === uri.toString() && (e.session || e.error)));
    assert.equal(entry.error, undefined, entry.error);
    await waitFor('webview ready', () => entry.session!.isReady, 30_000);
    await waitFor('init posted', () => entry.session!.sent.includes('init'));
  });

  test('Inspect RNN and Run Forward Pass on kri-mem golden b: the output equals Keras (golden.json) within 1e-6', async () => {
    const uri = memUri('/golden/b_simplernn5_tanh.h5');
    const inspected = (await vscode.commands.executeCommand('kerasRnnInspector.inspect', uri)) as InspectOutcome;
    assert.equal(inspected.error, undefined, inspected.error);
    assert.equal(inspected.uri.toString(), uri.toString());
    assert.ok(api.panels.get(uri), 'the panel opened');
    const c = goldenB();
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', uri, { input: { kind: 'text', text: JSON.stringify(c.input) } })) as RunOutcome;
    assert.equal(out.error, undefined, out.error);
    const y = out.result!.outputs[0].data;
    c.keras_output[0].forEach((v, k) => assert.ok(Math.abs(y[k] - v) < 1e-6, `y[${k}] = ${y[k]}, Keras ${v}`));
    assert.equal(out.result!.traces[0].steps, 10);
  });

  test('a weights-only file on kri-mem finds its .config.json beside it (readDirectory): catalog total and reference output', async () => {
    const uri = memUri('/weights/patalt-simplernn-weights.h5');
    const t = await treeOf(uri);
    assert.equal(t.root.kind, 'model', String(t.rootItem.description));
    assert.match(String(t.rootItem.description), new RegExp(`^${fmt(catalogTotal('patalt-simplernn-weights.h5'))} params`));
    assert.ok(mem.reads.includes('/weights/patalt-simplernn-weights.config.json'), 'the JSON was read through the provider');
    const x = (JSON.parse(fs.readFileSync(path.join(shared, 'models', 'inputs', 'patalt-simplernn-weights.json'), 'utf8')) as { inputs: number[][] }).inputs;
    const want = (JSON.parse(fs.readFileSync(path.join(shared, 'models', 'expected', 'patalt-simplernn-weights.json'), 'utf8')) as { output: number[][] }).output.flat();
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', uri, { input: { kind: 'text', text: JSON.stringify(x) } })) as RunOutcome;
    assert.equal(out.error, undefined, out.error);
    const y = out.result!.outputs[0].data;
    assert.equal(y.length, want.length);
    want.forEach((v, k) => assert.ok(Math.abs(y[k] - v) <= 1e-5 + 1e-5 * Math.abs(v), `y[${k}] = ${y[k]}, reference ${v}`));
  });

  test('a CSV input on kri-mem travels as bytes: the run uses exactly the chosen window of the column', async () => {
    const uri = memUri('/series/sunspot-rnn.h5');
    const csv = memUri('/series/sunspots-data.csv');
    const rows = fs.readFileSync(path.join(shared, 'models', 'files', 'sunspots-data.csv'), 'utf8').trim().split('\n');
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', uri, { input: { kind: 'csv', path: csv.toString(), column: 1, window: 12, start: -12 } })) as RunOutcome;
    assert.equal(out.error, undefined, out.error);
    // Semicolon-separated, no header: column 1 is the monthly sunspot number; the window is the last 12 rows.
    assert.deepEqual(Array.from(out.result!.inputs[0].data), rows.slice(-12).map((l) => Number(l.split(';')[1])));
    assert.ok(mem.reads.includes('/series/sunspots-data.csv'));
  });

  test('the page never receives the model file: no message posted for a run carries its bytes', async () => {
    const uri = memUri('/golden/b_simplernn5_tanh.keras');
    const inspected = (await vscode.commands.executeCommand('kerasRnnInspector.inspect', uri)) as InspectOutcome;
    assert.equal(inspected.error, undefined, inspected.error);
    const session = api.panels.get(uri)!.session;
    await waitFor('webview ready', () => session.isReady, 30_000);
    // Every message the host posts to this page from now on (the session's one way out).
    const posted: unknown[] = [];
    const s = session as unknown as { post(m: unknown): void };
    const post = s.post.bind(session);
    s.post = (m: unknown) => {
      posted.push(m);
      post(m);
    };
    const c = goldenB();
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', uri, { input: { kind: 'text', text: JSON.stringify(c.input) } })) as RunOutcome;
    assert.equal(out.error, undefined, out.error);
    await waitFor('runResult posted', () => posted.some((m) => (m as { type?: string }).type === 'runResult'), 30_000);
    const model = fs.readFileSync(path.join(shared, 'golden', 'b_simplernn5_tanh.keras'));
    // Walk every value posted: no byte array or string as large as the file, and none starting with its zip signature.
    let largest = 0;
    const walk = (v: unknown): void => {
      if (ArrayBuffer.isView(v)) {
        largest = Math.max(largest, v.byteLength);
        const head = Buffer.from(v.buffer, v.byteOffset, Math.min(4, v.byteLength));
        assert.ok(!head.equals(model.subarray(0, 4)), 'a posted array starts with the model file\'s signature');
      } else if (typeof v === 'string') largest = Math.max(largest, v.length);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    posted.forEach(walk);
    assert.ok(largest < model.length, `the largest posted value is ${largest} bytes, the model file ${model.length}`);
  });

  test('exports are written into kri-mem, and never onto the model or the JSON it was read with', async () => {
    const uri = memUri('/golden/b_simplernn5_tanh.h5');
    const c = goldenB();
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', uri, { input: { kind: 'text', text: JSON.stringify(c.input) } })) as RunOutcome;
    assert.equal(out.error, undefined, out.error);
    const session = api.panels.get(uri)!.session;
    const saved = await session.export({ format: 'trace-json' }, memUri('/out/trace.json'));
    assert.equal(saved.savedTo, memUri('/out/trace.json').toString());
    const written = mem.nodes.get('/out/trace.json');
    assert.ok(written?.kind === 'file', 'the export is in the in-memory file system');
    const parsed = JSON.parse(new TextDecoder().decode(written.data)) as { output: number[][] };
    c.keras_output[0].forEach((v, k) => assert.ok(Math.abs(parsed.output[0][k] - v) < 1e-6, `exported y[${k}] = ${parsed.output[0][k]}, Keras ${v}`));
    const py = await session.export({ format: 'numpy' }, memUri('/out/forward.py'));
    assert.ok(py.savedTo);
    const script = mem.nodes.get('/out/forward.py');
    assert.ok(script?.kind === 'file' && /import numpy as np/.test(new TextDecoder().decode(script.data)));
    const model = mem.nodes.get('/golden/b_simplernn5_tanh.h5');
    const modelBytes = model?.kind === 'file' ? model.data.slice() : undefined;
    await assert.rejects(session.export({ format: 'trace-csv' }, uri), /overwrite .*b_simplernn5_tanh\.h5/);
    const again = mem.nodes.get('/golden/b_simplernn5_tanh.h5');
    assert.ok(again?.kind === 'file' && modelBytes && Buffer.from(again.data).equals(Buffer.from(modelBytes)), 'the model is untouched');
    // The weights-only model's architecture JSON (found beside it) is protected as the model is.
    const w = memUri('/weights/patalt-simplernn-weights.h5');
    const x = (JSON.parse(fs.readFileSync(path.join(shared, 'models', 'inputs', 'patalt-simplernn-weights.json'), 'utf8')) as { inputs: number[][] }).inputs;
    const wr = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', w, { input: { kind: 'text', text: JSON.stringify(x) } })) as RunOutcome;
    assert.equal(wr.error, undefined, wr.error);
    await assert.rejects(api.panels.get(w)!.session.export({ format: 'trace-json' }, memUri('/weights/patalt-simplernn-weights.config.json')), /overwrite/);
  });
});
