// Extension tests inside the real VS Code (code-server): activation, every command driven with arguments,
// the custom editor on samples and real models, the Model Layers tree's numbers against the catalog and the
// golden README, the Python hover, runs in the worker with the panel handshake, exports, errors and cancel.
// Expected numbers come from ../shared (catalog.json totals, golden.json Keras outputs, golden README 57 / 5).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../extension/extension';
import type { LayerTreeNode } from '../../../extension/layerTree';
import type { RunOutcome } from '../../../extension/inspectorSession';
import type { InspectOutcome } from '../../../extension/commands';
import { waitFor } from './wait';

const EXTENSION_ID = 'keras-rnn-inspector.keras-rnn-inspector';

let api: ExtensionApi;
let extPath: string;
let shared: string;
let ws: string;

const sample = (name: string) => vscode.Uri.file(path.join(extPath, 'media', 'samples', name));
const wsFile = (name: string) => vscode.Uri.file(path.join(ws, name));

function catalogTotal(file: string): number {
  const catalog = JSON.parse(fs.readFileSync(path.join(shared, 'models', 'catalog.json'), 'utf8')) as { file: string; total_params: number | null }[];
  const entry = catalog.find((e) => e.file === file);
  assert.ok(entry && typeof entry.total_params === 'number', `catalog has no total for ${file}`);
  return entry.total_params;
}

function goldenCase(id: string): { input: number[][][]; keras_output: number[][] } {
  const g = JSON.parse(fs.readFileSync(path.join(shared, 'golden', 'golden.json'), 'utf8')) as { cases: { id: string; input: number[][][]; keras_output: number[][] }[] };
  return g.cases.find((c) => c.id === id)!;
}

/** The thousands-separated count Keras prints, e.g. 183,775. */
const fmt = (n: number) => n.toLocaleString('en-US');

function tooltipText(item: vscode.TreeItem): string {
  const t = item.tooltip;
  return typeof t === 'string' ? t : (t?.value ?? '');
}

async function treeOf(uri: vscode.Uri): Promise<{ root: LayerTreeNode; rootItem: vscode.TreeItem; layers: { node: LayerTreeNode; item: vscode.TreeItem }[] }> {
  await api.layerTree.show(uri);
  const [root] = await api.layerTree.getChildren();
  assert.ok(root, 'the tree has a root');
  const layers = (await api.layerTree.getChildren(root)).map((node) => ({ node, item: api.layerTree.getTreeItem(node) }));
  return { root, rootItem: api.layerTree.getTreeItem(root), layers };
}

/** True once a layer module computes (issue 3): its layer in `file` has a formula. Runs that need it skip before. */
async function moduleReady(file: string, className: string): Promise<boolean> {
  const t = await treeOf(sample(file));
  const layer = t.layers.find((l) => l.node.kind === 'layer' && l.node.layer.className === className);
  return !!layer && layer.node.kind === 'layer' && !!layer.node.layer.formula;
}
const recurrentReady = () => moduleReady('b_simplernn5_tanh.h5', 'SimpleRNN');

const WAIT = 'the recurrent layer modules (issue 3) are still placeholders';
/** Mocha's skip with the reason printed, so a skip is never silent. */
function skipWhy(ctx: Mocha.Context, reason = WAIT): never {
  console.log(`skipped "${ctx.test?.title}": ${reason}`);
  ctx.skip();
}

async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}


suite('Keras RNN Inspector extension', function () {
  this.timeout(120_000);

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not loaded');
    api = await ext.activate();
    extPath = ext.extensionPath;
    shared = process.env.KRI_SHARED_DIR ? path.resolve(process.env.KRI_SHARED_DIR) : path.resolve(extPath, '..', 'shared');
    ws = process.env.KRI_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(fs.existsSync(shared), `shared folder ${shared}`);
  });

  teardown(closeAll);

  test('activation returns the API and shows the status bar item', () => {
    assert.ok(api.layerTree && api.panels && api.editors && api.models);
    assert.equal(api.statusBar.tooltip !== undefined, true);
    assert.match(String(api.statusBar.text), /Keras RNN|params/);
  });

  test('golden b in the tree: 57 params in total, SimpleRNN 45 = 3·5 + 5·5 + 5, Dense 12, every layout', async () => {
    for (const f of ['b_simplernn5_tanh.h5', 'b_simplernn5_tanh.keras', 'b_simplernn5_tanh.k3.h5']) {
      const t = await treeOf(sample(f));
      assert.equal(t.rootItem.label, f);
      assert.match(String(t.rootItem.description), /^57 params/, f);
      const rnn = t.layers.find((l) => String(l.item.label).startsWith('SimpleRNN'));
      assert.ok(rnn, `${f}: a SimpleRNN row`);
      assert.match(String(rnn.item.description), /^45 params/);
      const tip = tooltipText(rnn.item);
      assert.match(tip, /3 × 5 \| 15/, 'kernel D×M');
      assert.match(tip, /5 × 5 \| 25/, 'recurrent kernel M×M');
      const dense = t.layers.find((l) => String(l.item.label).startsWith('Dense'));
      assert.match(String(dense?.item.description), /^12 params/);
      // Weight tensors under the layer: kernel, recurrent_kernel, bias.
      const weights = await api.layerTree.getChildren(rnn.node);
      const labels = weights.map((w) => String(api.layerTree.getTreeItem(w).label));
      assert.deepEqual(labels, ['kernel (W_x)', 'recurrent_kernel (W_h)', 'bias (b)']);
      assert.deepEqual(weights.map((w) => api.layerTree.getTreeItem(w).description), ['3 × 5 = 15', '5 × 5 = 25', '5 = 5']);
    }
  });

  test('golden c: 5 params (1·1 + 1·1 + 1 = 3 in SimpleRNN(1), 1·1 + 1 = 2 in Dense(1))', async () => {
    const t = await treeOf(sample('c_simplernn1_tanh.keras'));
    assert.match(String(t.rootItem.description), /^5 params/);
    assert.match(String(t.layers.find((l) => String(l.item.label).startsWith('SimpleRNN'))?.item.description), /^3 params/);
  });

  test('annotated output shapes in the labels once shapes are known: SimpleRNN (N, M) = (None, 5)', async function () {
    if (!(await recurrentReady())) skipWhy(this);
    const t = await treeOf(sample('b_simplernn5_tanh.keras'));
    const rnn = t.layers.find((l) => String(l.item.label).startsWith('SimpleRNN'))!;
    assert.match(String(rnn.item.label), /\(None, 5\)/);
  });

  test('real models: the tree total equals catalog.json', async () => {
    const files = ['tesla-simplernn.keras', 'lstm-ae-timedist.keras', 'covid-simplernn.h5'];
    for (const f of files) {
      const uri = fs.existsSync(path.join(ws, f)) ? wsFile(f) : vscode.Uri.file(path.join(shared, 'models', 'files', f));
      const t = await treeOf(uri);
      assert.match(String(t.rootItem.description), new RegExp(`^${fmt(catalogTotal(f))} params`), f);
    }
    const sun = await treeOf(sample('sunspot-rnn.h5'));
    assert.match(String(sun.rootItem.description), new RegExp(`^${fmt(catalogTotal('sunspot-rnn.h5'))} params`));
  });

  test('a wrapper shows its inner layer: TimeDistributed(Dense) in lstm-ae-timedist', async () => {
    const uri = fs.existsSync(path.join(ws, 'lstm-ae-timedist.keras')) ? wsFile('lstm-ae-timedist.keras') : vscode.Uri.file(path.join(shared, 'models', 'files', 'lstm-ae-timedist.keras'));
    const t = await treeOf(uri);
    const td = t.layers.find((l) => String(l.item.label).startsWith('TimeDistributed'));
    assert.ok(td, 'a TimeDistributed row');
    const kids = await api.layerTree.getChildren(td.node);
    assert.ok(kids.some((k) => k.kind === 'layer' && k.layer.className === 'Dense'), 'Dense inside');
  });

  test('layers and models that cannot run are marked, and still listed with their parameters', async () => {
    const lambda = await treeOf(vscode.Uri.file(path.join(shared, 'models', 'files', 'attention-merge-lambda.h5')));
    assert.match(String(lambda.rootItem.description), new RegExp(`^${fmt(catalogTotal('attention-merge-lambda.h5'))} params`));
    const marked = lambda.layers.filter((l) => /cannot run/.test(String(l.item.description)));
    assert.equal(marked.length, 1, 'exactly the Lambda layer');
    assert.match(String(marked[0].item.label), /^Lambda/);
    const custom = await treeOf(vscode.Uri.file(path.join(shared, 'models', 'files', 'malicious-custom-model.keras')));
    assert.match(String(custom.rootItem.description), /cannot run/);
    assert.match(String(custom.rootItem.description), new RegExp(`^${fmt(catalogTotal('malicious-custom-model.keras'))} params`));
  });

  test('a non-model file: the tree row says it is not readable, its one sentence is the tooltip (the inspector says it)', async () => {
    const uri = fs.existsSync(path.join(ws, 'xgboost-not-hdf5.h5')) ? wsFile('xgboost-not-hdf5.h5') : vscode.Uri.file(path.join(shared, 'models', 'files', 'xgboost-not-hdf5.h5'));
    const t = await treeOf(uri);
    assert.equal(t.root.kind, 'message');
    assert.match(String(t.rootItem.label), /not a readable Keras model/);
    assert.equal(t.rootItem.description, undefined, 'the row does not repeat the sentence');
    const tip = t.rootItem.tooltip;
    assert.ok((typeof tip === 'string' ? tip : tip?.value ?? '').length > 10, 'the sentence is the tooltip');
  });

  test('custom editor opens every sample; the .keras default is the inspector', async () => {
    const samples = fs.readdirSync(path.join(extPath, 'media', 'samples')).filter((f) => /\.(h5|keras)$/.test(f));
    assert.ok(samples.length >= 10, `samples: ${samples.join(', ')}`);
    for (const f of samples) {
      const uri = sample(f);
      const viewType = f.endsWith('.keras') ? 'kerasRnnInspector.modelEditor' : 'kerasRnnInspector.modelEditorH5';
      await vscode.commands.executeCommand('vscode.openWith', uri, viewType);
      const entry = await waitFor(`editor for ${f}`, () => api.editors.entries().find((e) => e.uri.fsPath === uri.fsPath && (e.session || e.error)));
      assert.equal(entry.error, undefined, `${f}: ${entry.error}`);
      assert.ok(entry.session);
    }
    await closeAll();
    // Plain vscode.open on a .keras file picks our editor (priority default).
    const k = sample('a_simplernn2_linear.keras');
    await vscode.commands.executeCommand('vscode.open', k);
    await waitFor('default editor for .keras', () => api.editors.entries().find((e) => e.uri.fsPath === k.fsPath));
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom && tab.input.viewType === 'kerasRnnInspector.modelEditor');
  });

  test('custom editor on real files: models open, non-models get the not-a-model page', async () => {
    const cases: [string, boolean][] = [
      ['tesla-simplernn.keras', true],
      ['covid-simplernn.h5', true],
      ['lstm-ae-timedist.keras', true],
      ['xgboost-not-hdf5.h5', false],
      ['lfs-pointer.h5', false],
    ];
    for (const [f, ok] of cases) {
      const uri = fs.existsSync(path.join(ws, f)) ? wsFile(f) : vscode.Uri.file(path.join(shared, 'models', 'files', f));
      await vscode.commands.executeCommand('vscode.openWith', uri, f.endsWith('.keras') ? 'kerasRnnInspector.modelEditor' : 'kerasRnnInspector.modelEditorH5');
      const entry = await waitFor(`editor for ${f}`, () => api.editors.entries().find((e) => e.uri.fsPath === uri.fsPath && (e.session || e.error)));
      if (ok) assert.equal(entry.error, undefined, `${f}: ${entry.error}`);
      else {
        assert.ok(entry.error && entry.error.length > 10, `${f} has a message`);
        assert.match(entry.panel.webview.html, /Reopen with another editor/);
      }
    }
    const lfs = api.editors.entries().find((e) => e.uri.fsPath.endsWith('lfs-pointer.h5'));
    assert.match(lfs?.error ?? '', /LFS/i);
  });

  test('Inspect RNN command (uri argument): tree shows the model, the panel opens and completes the ready handshake', async () => {
    const uri = sample('b_simplernn5_tanh.h5');
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.inspect', uri)) as InspectOutcome;
    assert.equal(out.uri.fsPath, uri.fsPath);
    assert.equal(out.error, undefined);
    assert.equal(api.layerTree.uri?.fsPath, uri.fsPath);
    await waitFor('status bar shows the model total', () => /57 params/.test(api.statusBar.text));
    const entry = api.panels.get(uri);
    assert.ok(entry, 'panel open');
    assert.match(entry.panel.webview.html, /Content-Security-Policy/);
    assert.match(entry.panel.webview.html, /script-src 'nonce-/);
    assert.doesNotMatch(entry.panel.webview.html, /https?:\/\/(?!.*vscode-cdn)/);
    await waitFor('webview ready', () => entry.session.isReady, 30_000);
    await waitFor('init posted after ready', () => entry.session.sent.includes('init'));
    assert.equal(entry.session.sent[0], 'init', `the model is the first message after ready: ${entry.session.sent.join(', ')}`);
  });

  test('weights-only file: found beside its .config.json; elsewhere the error asks for it and configPath loads it', async () => {
    const total = catalogTotal('patalt-simplernn-weights.h5');
    const beside = await treeOf(vscode.Uri.file(path.join(shared, 'models', 'files', 'patalt-simplernn-weights.h5')));
    assert.match(String(beside.rootItem.description), new RegExp(`^${fmt(total)} params`));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kri-weights-'));
    const alone = path.join(dir, 'model.weights.h5');
    fs.copyFileSync(path.join(shared, 'models', 'files', 'patalt-simplernn-weights.h5'), alone);
    const first = (await vscode.commands.executeCommand('kerasRnnInspector.inspect', vscode.Uri.file(alone), { panel: false })) as InspectOutcome;
    assert.match(first.error ?? '', /architecture/i);
    const second = (await vscode.commands.executeCommand('kerasRnnInspector.inspect', vscode.Uri.file(alone), {
      panel: false,
      configPath: path.join(shared, 'models', 'files', 'patalt-simplernn-weights.config.json'),
    })) as InspectOutcome;
    assert.equal(second.error, undefined, second.error);
    const t = await treeOf(vscode.Uri.file(alone));
    assert.match(String(t.rootItem.description), new RegExp(`^${fmt(total)} params`));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Inspect RNN on a non-model reports the error once: its inspector opens on the sentence, with no model in it', async () => {
    const uri = vscode.Uri.file(path.join(shared, 'models', 'files', 'truncated-2byte.h5'));
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.inspect', uri)) as InspectOutcome;
    assert.ok(out.error && /2 bytes|truncated/i.test(out.error), out.error);
    assert.equal(api.panels.get(uri), undefined, 'no inspector with a model');
    const page = api.panels.find(uri);
    assert.ok(page, 'the inspector opened on the sentence');
    assert.match(page.error ?? '', /2 bytes|truncated/i);
    assert.match(page.panel.webview.html, /Reopen with another editor/);
  });

  test('Open Sample Model (name argument) opens the custom editor and the tree', async () => {
    const uri = (await vscode.commands.executeCommand('kerasRnnInspector.openSample', 'c_simplernn1_tanh.keras')) as vscode.Uri;
    assert.ok(uri?.fsPath.endsWith('c_simplernn1_tanh.keras'));
    await waitFor('sample editor', () => api.editors.entries().find((e) => e.uri.fsPath === uri.fsPath));
    assert.equal(api.layerTree.uri?.fsPath, uri.fsPath);
  });

  test('Refresh, Open Inspector Panel and Focus Layer commands run', async () => {
    const uri = sample('a_simplernn2_linear.h5');
    await api.layerTree.show(uri);
    await vscode.commands.executeCommand('kerasRnnInspector.refreshLayers');
    await waitFor('tree after refresh', async () => (await api.layerTree.getChildren()).length === 1);
    await vscode.commands.executeCommand('kerasRnnInspector.openInPanel', uri);
    assert.ok(api.panels.get(uri));
    // Again: the same inspector comes to the front, never a copy.
    await vscode.commands.executeCommand('kerasRnnInspector.openInPanel', uri);
    assert.equal(api.editors.entries().filter((e) => e.uri.toString() === uri.toString()).length, 1, 'one inspector for the file');
    await vscode.commands.executeCommand('kerasRnnInspector.focusLayer', uri, 'simple_rnn');
  });

  test('Run Forward Pass (golden b, Keras input): output equals Keras within 1e-6, panel gets the result', async function () {
    if (!(await recurrentReady())) skipWhy(this);
    const c = goldenCase('b_simplernn5_tanh');
    const uri = sample('b_simplernn5_tanh.h5');
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', uri, { input: { kind: 'text', text: JSON.stringify(c.input) } })) as RunOutcome;
    assert.equal(out.error, undefined, out.error);
    const y = out.result!.outputs[0].data;
    c.keras_output[0].forEach((v, k) => assert.ok(Math.abs(y[k] - v) < 1e-6, `y[${k}] = ${y[k]}, Keras ${v}`));
    assert.equal(out.result!.traces[0].steps, 10);
    assert.equal(out.result!.recurrentWeights[0].tensors.kernel.values.length, 15);
    const entry = api.panels.get(uri)!;
    await waitFor('runResult posted', () => entry.session.sent.includes('runResult'), 30_000);
  });

  test('runs the page starts reuse the memory of the run before last; a result a command returned is never taken back', async function () {
    if (!(await recurrentReady())) skipWhy(this);
    const c = goldenCase('b_simplernn5_tanh');
    const uri = sample('b_simplernn5_tanh.h5');
    // A command's result belongs to its caller: it must stay readable whatever runs after it.
    const byCommand = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', uri, { input: { kind: 'text', text: JSON.stringify(c.input) } })) as RunOutcome;
    const session = api.panels.get(uri)!.session;
    await waitFor('page ready', () => session.isReady, 30_000);
    const deliver = (m: unknown) => (session as unknown as { onMessage(m: unknown): Promise<void> }).onMessage(m);
    // N = 512 samples (sample 0 is Keras's input): each trace quantity is 100 KB, worth recycling.
    const x = Array.from({ length: 512 }, (_, n) => (n === 0 ? c.input[0] : c.input[0].map((row) => row.map((v) => v * Math.cos(n)))));
    const input = { kind: 'tensors', tensors: [{ shape: [512, 10, 3], data: Float64Array.from(x.flat(2)) }] };
    const reused: number[] = [];
    for (let k = 0; k < 3; k++) {
      const before = session.lastResult?.runId;
      await deliver({ type: 'run', input });
      await waitFor(`page run ${k + 1}`, () => !session.running && session.lastResult?.runId !== before, 60_000);
      reused.push(session.reusedBytes);
    }
    const last = session.lastResult!;
    const traceBytes = Object.values(last.traces[0].values).reduce((n, v) => n + v.byteLength, 0);
    assert.equal(reused[0], 0, 'the first page run found nothing handed back');
    assert.ok(reused[2] >= traceBytes, `the third page run reused ${reused[2]} bytes for its ${traceBytes}-byte trace`);
    c.keras_output[0].forEach((v, k) => assert.ok(Math.abs(last.outputs[0].data[k] - v) < 1e-6, `sample 0, y[${k}] = ${last.outputs[0].data[k]}, Keras ${v}`));
    assert.equal(byCommand.result!.traces[0].values.h.length, 10 * 5, "the command's result keeps its trace");
    c.keras_output[0].forEach((v, k) => assert.ok(Math.abs(byCommand.result!.outputs[0].data[k] - v) < 1e-6));
  });

  test('Run Forward Pass with a ramp on golden a is the notebook x = [1, 2, 3]: Keras -3.068111', async function () {
    if (!(await recurrentReady())) skipWhy(this);
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', sample('a_simplernn2_linear.keras'), { input: { kind: 'ramp' } })) as RunOutcome;
    assert.ok(Math.abs(out.result!.outputs[0].data[0] - -3.068111) < 1e-6, String(out.result?.outputs[0].data[0]));
  });

  test('exports: trace CSV and JSON, NumPy script, PNG bytes to a given path', async function () {
    if (!(await recurrentReady())) skipWhy(this);
    const uri = sample('c_simplernn1_tanh.h5');
    await vscode.commands.executeCommand('kerasRnnInspector.runForward', uri, { input: { kind: 'ramp' } });
    const session = api.panels.get(uri)!.session;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kri-export-'));
    const csv = await session.export({ format: 'trace-csv' }, vscode.Uri.file(path.join(dir, 't.csv')));
    assert.equal(fs.readFileSync(csv.savedTo!, 'utf8').split('\n')[0], 'layer,direction,k,t,sample,quantity,unit,value');
    const json = await session.export({ format: 'trace-json' }, vscode.Uri.file(path.join(dir, 't.json')));
    const parsed = JSON.parse(fs.readFileSync(json.savedTo!, 'utf8'));
    // Golden c on x = [1, 2, 3]: Keras printed 0.5746256.
    assert.ok(Math.abs(parsed.output[0][0] - 0.5746256) < 1e-6, JSON.stringify(parsed.output));
    const py = await session.export({ format: 'numpy' }, vscode.Uri.file(path.join(dir, 'f.py')));
    assert.match(fs.readFileSync(py.savedTo!, 'utf8'), /import numpy as np/);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const saved = await session.export({ format: 'png', png }, vscode.Uri.file(path.join(dir, 'c.png')));
    assert.deepEqual([...fs.readFileSync(saved.savedTo!)], [...png]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('stateful GRUs: a run continued from the last state equals the reference over the whole sequence; a reset starts from zeros', async function () {
    // models2's poem model (stateful=True, batch fixed at 1) and its seeded input, split after step 5.
    const id = 'poem-stateful-gru-tfk215';
    const uri = vscode.Uri.file(path.join(shared, 'models2', 'files', `${id}.h5`));
    if (!fs.existsSync(uri.fsPath)) skipWhy(this, `${uri.fsPath} is not here`);
    const x = (JSON.parse(fs.readFileSync(path.join(shared, 'models2', 'inputs', `${id}.json`), 'utf8')) as { inputs: number[][][] }).inputs[0];
    const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
    const ref = flat((JSON.parse(fs.readFileSync(path.join(shared, 'models2', 'expected', `${id}.json`), 'utf8')) as { output: unknown }).output);
    const close = (got: ArrayLike<number>, want: number[], what: string) => {
      assert.equal(got.length, want.length, what);
      want.forEach((b, i) => assert.ok(Math.abs(got[i] - b) <= 1e-5 + 1e-5 * Math.abs(b), `${what}[${i}]: ${got[i]} vs ${b}`));
    };
    const run = (rows: number[][], continueState: boolean) =>
      vscode.commands.executeCommand('kerasRnnInspector.runForward', uri, { input: { kind: 'text', text: JSON.stringify([rows]) }, continueState }) as Thenable<RunOutcome>;
    const first = await run(x.slice(0, 5), true);
    assert.equal(first.error, undefined, first.error);
    // No state yet: the first run starts from zeros even when asked to continue, and says so.
    assert.equal(first.result!.startedFrom, undefined);
    close(first.result!.outputs[0].data, ref.slice(0, 5 * 64), 'steps 0..4');
    const session = api.panels.get(uri)!.session;
    assert.deepEqual(first.result!.finalStates?.map((s) => s.layer), ['gru_2', 'gru_3']);
    assert.match(session.lastState?.origin ?? '', /^run \d+ /);
    await waitFor('stateInfo posted to the page', () => session.sent.includes('stateInfo'), 30_000);
    const second = await run(x.slice(5), true);
    assert.equal(second.error, undefined, second.error);
    assert.match(second.result!.startedFrom ?? '', new RegExp(`^run ${first.result!.runId} `));
    close(second.result!.outputs[0].data, ref.slice(5 * 64), 'continued steps 5..11');
    // The NumPy script starts from zeros, so it refuses to pose as a replay of a continued run; the trace JSON says where it started.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kri-state-'));
    await assert.rejects(session.export({ format: 'numpy' }, vscode.Uri.file(path.join(dir, 'f.py'))), /cannot replay .*reset the state, run again, then export/);
    const saved = await session.export({ format: 'trace-json' }, vscode.Uri.file(path.join(dir, 't.json')));
    assert.match((JSON.parse(fs.readFileSync(saved.savedTo!, 'utf8')) as { startedFrom: string }).startedFrom, /^run \d+ /);
    fs.rmSync(dir, { recursive: true, force: true });
    // Reset (Keras's reset_states()): the same second half now starts from zeros and differs from the reference.
    session.resetState();
    assert.equal(session.lastState, undefined);
    const fresh = await run(x.slice(5), true);
    assert.equal(fresh.result!.startedFrom, undefined);
    assert.ok(Math.abs(fresh.result!.outputs[0].data[0] - ref[5 * 64]) > 1e-4, 'a run after a reset starts from zeros');
  });

  test('several outputs are named: the seq2seq decoder returns its sequence and both LSTM states', async function () {
    const id = 'seq2seq-decoder-k310';
    const uri = vscode.Uri.file(path.join(shared, 'models2', 'files', `${id}.keras`));
    if (!fs.existsSync(uri.fsPath)) skipWhy(this, `${uri.fsPath} is not here`);
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', uri, { input: { kind: 'ramp', t: 4 } })) as RunOutcome;
    assert.equal(out.error, undefined, out.error);
    assert.deepEqual(out.result!.outputNames, ['time_distributed', 'lstm_1 state h', 'lstm_1 state c']);
    assert.deepEqual(out.result!.outputs.map((o) => o.shape), [[1, 4, 1], [1, 64], [1, 64]]);
  });

  test('a run on a file that is not a model returns its error instead of failing silently', async () => {
    const uri = vscode.Uri.file(path.join(shared, 'models', 'files', 'xgboost-not-hdf5.h5'));
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', uri, { input: { kind: 'zeros' } })) as RunOutcome;
    assert.ok(out.error && out.error.length > 10, JSON.stringify(out));
  });

  test('a bad typed input gives the core input error in N/T/D terms', async () => {
    const out = (await vscode.commands.executeCommand('kerasRnnInspector.runForward', sample('b_simplernn5_tanh.keras'), { input: { kind: 'text', text: '[[1, 2], [3, 4]]' } })) as RunOutcome;
    assert.equal(out.errorKind, 'input');
    assert.match(out.error ?? '', /D/);
  });

  test('cancel terminates a long run in the middle of the LSTMs (sunspots over T = 15000, within the default memory budget)', async function () {
    if (!(await moduleReady('sunspot-rnn.h5', 'LSTM'))) skipWhy(this, 'the LSTM layer module is still a placeholder (issue 3 in progress)');
    const uri = sample('sunspot-rnn.h5');
    const { session } = (await api.panels.show(uri))!;
    // Messages wait for the page's ready handshake; the run (about 2 s) must not finish before progress is seen.
    await waitFor('webview ready', () => session.isReady, 30_000);
    const before = session.sent.length;
    const p = session.run({ kind: 'ramp', t: 15000 });
    // Cancel after the first layer reported progress, i.e. while the worker is inside the recurrent loops.
    await waitFor('first layer progress', () => session.sent.slice(before).includes('runProgress'), 60_000);
    const t0 = Date.now();
    session.cancel();
    const out = await p;
    assert.equal(out.cancelled, true, JSON.stringify({ error: out.error }));
    assert.ok(Date.now() - t0 < 2000, `cancel took ${Date.now() - t0} ms`);
    assert.ok(session.sent.includes('runCancelled'));
  });

  test('the memoryLimitMB setting reaches the run: at 16 MB the sunspots run over T = 15000 is refused with the estimate, in one report', async () => {
    const config = vscode.workspace.getConfiguration('kerasRnnInspector');
    assert.equal(config.inspect('memoryLimitMB')?.defaultValue, 256, 'documented default');
    await config.update('memoryLimitMB', 16, vscode.ConfigurationTarget.Global);
    try {
      const uri = sample('sunspot-rnn.h5');
      const { session } = (await api.panels.show(uri))!;
      const out = await session.run({ kind: 'ramp', t: 15000 });
      assert.equal(out.result, undefined);
      assert.match(out.error ?? '', /16(\.0)? MB/, out.error);
      assert.ok((out.error ?? '').length <= 300);
      await waitFor('runError on the page', () => session.sent.includes('runError'));
    } finally {
      await config.update('memoryLimitMB', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('Python hover: Dense(2, input_dim=5) shows 5·2 + 2 = 12; SimpleRNN(5, input_shape=(10, 3)) shows 45', async () => {
    const content = 'from keras.layers import SimpleRNN, Dense\nrnn = SimpleRNN(5, input_shape=(10, 3))\nout = Dense(2, input_dim=5)\n';
    const doc = await vscode.workspace.openTextDocument({ language: 'python', content });
    const hoverAt = async (needle: string) => {
      const pos = doc.positionAt(content.indexOf(needle) + 2);
      const hovers = (await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, pos)) as vscode.Hover[];
      return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    };
    assert.match(await hoverAt('Dense(2'), /12 params/);
    if (await recurrentReady()) assert.match(await hoverAt('SimpleRNN(5'), /45 params/);
  });

  test('Python hover works in a notebook cell too', async function () {
    const source = 'model.add(Dense(3, input_dim=4))';
    let nb: vscode.NotebookDocument;
    try {
      nb = await vscode.workspace.openNotebookDocument('jupyter-notebook', new vscode.NotebookData([new vscode.NotebookCellData(vscode.NotebookCellKind.Code, source, 'python')]));
    } catch (e) {
      skipWhy(this, `no Jupyter notebook serializer in this VS Code (${String(e)})`);
    }
    const cell = nb.cellAt(0).document;
    assert.equal(cell.languageId, 'python');
    const hovers = (await vscode.commands.executeCommand('vscode.executeHoverProvider', cell.uri, cell.positionAt(source.indexOf('Dense') + 1))) as vscode.Hover[];
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    // Dense over D = 4 to K = 3: 4·3 + 3 = 15.
    assert.match(text, /15 params/);
  });
});
