// UI: a long run kept as checkpoints. SimpleRNN(256) over T = 10,000 (a full trace of h and the pre-activation is
// 20 MB) with kerasRnnInspector.traceMemoryLimitMB = 16: the run asks what to keep, the user keeps every step
// viewable from checkpoints, and the panel's table, scrolled to the last steps, shows h values recomputed exactly by
// the worker. They are compared with a NumPy loop over the same file (python3 + h5py: float32, one
// h = tanh(x·W + h·U + b) per step, every step from h = 0), an independent path that computes the whole sequence.
//
// The model file is written here with h5py in the layout of golden model b (as first-paint.test.ts does), with a
// small seeded kernel so that the ramp input 1..T does not saturate tanh.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { explorerRow, pickQuickItem, runPaletteCommand, repoRoot, sharedRoot, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

/** The scripts below import test/helpers/golden_b_variant.py. */
const helperEnv = { ...process.env, PYTHONPATH: path.join(repoRoot, 'test/helpers') };

const MODEL = 'long-simplernn256-stream.h5';
/** Two SimpleRNNs (M = 256 then 128, T free): their full traces at T = 10,000 take 20 MB and 10 MB. */
const TWO = 'stacked-simplernn-two-layers.h5';
const T = 10_000, M = 256;
const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const shots = process.env.STREAM_SHOTS_DIR;
let wb: Workbench | undefined;
let failed = false;

function writeTwoLayers(dir: string): void {
  const script = `
import copy, sys, numpy
from golden_b_variant import read_b, write_like_b
src, dst = sys.argv[1], sys.argv[2]
cfg, keras_version, backend = read_b(src)
layers = cfg["config"]["layers"]
layers[0]["config"]["batch_input_shape"] = [None, None, 1]
first = layers[1]
first["config"].update(batch_input_shape=[None, None, 1], units=256, return_sequences=True)
second = copy.deepcopy(first)
second["config"].update(name="simple_rnn_1", units=128, return_sequences=False)
del second["config"]["batch_input_shape"]
layers.insert(2, second)
rng = numpy.random.default_rng(12)
cell = lambda name, D, M: [(f"{name}/simple_rnn_cell/kernel:0", rng.normal(0, 2e-5, (D, M))),
                           (f"{name}/simple_rnn_cell/recurrent_kernel:0", rng.normal(0, 0.9 / numpy.sqrt(M), (M, M))),
                           (f"{name}/simple_rnn_cell/bias:0", rng.normal(0, 0.1, M))]
w = {"simple_rnn": cell("simple_rnn", 1, 256), "simple_rnn_1": cell("simple_rnn_1", 256, 128),
     "dense": [("dense/kernel:0", rng.normal(0, 0.1, (128, 2))), ("dense/bias:0", numpy.zeros(2))]}
write_like_b(dst, cfg, keras_version, backend, w)
`;
  execFileSync(python, ['-c', script, path.join(sharedRoot, 'golden/b_simplernn5_tanh.h5'), path.join(dir, TWO)], { stdio: 'pipe', env: helperEnv });
}

function writeModel(dir: string): void {
  writeTwoLayers(dir);
  const script = `
import sys, numpy
from golden_b_variant import read_b, write_like_b
src, dst, M = sys.argv[1], sys.argv[2], int(sys.argv[3])
cfg, keras_version, backend = read_b(src)
for l in cfg["config"]["layers"]:
    if "batch_input_shape" in l["config"]:
        l["config"]["batch_input_shape"] = [None, None, 1]
    if l["class_name"] == "SimpleRNN":
        l["config"]["units"] = M
rng = numpy.random.default_rng(11)
w = {
  "simple_rnn": [("simple_rnn/simple_rnn_cell/kernel:0", rng.normal(0, 2e-5, (1, M))),
                 ("simple_rnn/simple_rnn_cell/recurrent_kernel:0", rng.normal(0, 0.9 / numpy.sqrt(M), (M, M))),
                 ("simple_rnn/simple_rnn_cell/bias:0", rng.normal(0, 0.1, M))],
  "dense": [("dense/kernel:0", rng.normal(0, 0.1, (M, 2))), ("dense/bias:0", numpy.zeros(2))],
}
write_like_b(dst, cfg, keras_version, backend, w)
`;
  try {
    execFileSync(python, ['-c', script, path.join(sharedRoot, 'golden/b_simplernn5_tanh.h5'), path.join(dir, MODEL), String(M)], { stdio: 'pipe', env: helperEnv });
  } catch (e) {
    throw new Error(`could not write ${MODEL} with ${python} + h5py (apt-get install python3-h5py): ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
}

/** h at the given steps (ramp x_t = t + 1), from a NumPy float32 loop over the file's weights. */
function numpyH(file: string, steps: number[]): number[][] {
  const script = `
import json, sys, h5py, numpy
f = h5py.File(sys.argv[1], "r")
g = f["model_weights"]["simple_rnn"]["simple_rnn"]["simple_rnn_cell"]
W, U, b = (numpy.asarray(g[k], dtype=numpy.float32) for k in ("kernel:0", "recurrent_kernel:0", "bias:0"))
T, want = int(sys.argv[2]), set(json.loads(sys.argv[3]))
h = numpy.zeros(U.shape[0], dtype=numpy.float32)
out = {}
for t in range(T):
    x = numpy.array([t + 1], dtype=numpy.float32)
    h = numpy.tanh(x @ W + h @ U + b).astype(numpy.float32)
    if t in want:
        out[t] = h.tolist()
print(json.dumps([out[s] for s in json.loads(sys.argv[3])]))
`;
  return JSON.parse(execFileSync(python, ['-c', script, file, String(T), JSON.stringify(steps)], { encoding: 'utf8', maxBuffer: 1 << 26 })) as number[][];
}

before(async () => {
  wb = await openWorkbench({ readyFile: MODEL, name: 'stream', extra: writeModel, settings: { 'kerasRnnInspector.traceMemoryLimitMB': 16 } });
}, { timeout: 300_000 });

after(async () => {
  if (failed) keepLog(wb, 'stream');
  await wb?.close();
}, { timeout: 60_000 });

async function shoot(name: string): Promise<void> {
  const file = await wb!.shot(name);
  if (shots && fs.existsSync(file)) {
    fs.mkdirSync(shots, { recursive: true });
    fs.copyFileSync(file, path.join(shots, path.basename(file)));
  }
}

test(`a T=${T} run over the trace limit keeps checkpoints; the table's late steps equal a NumPy loop`, { timeout: 600_000 }, async () => {
  const { page } = wb!;
  try {
    await runPaletteCommand(page, 'Run Forward Pass…');
    await pickQuickItem(page, MODEL, { filter: MODEL });
    await pickQuickItem(page, 'Ramp 1..T');
    await page.locator('.quick-input-widget', { hasText: 'Time steps T' }).waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('.quick-input-widget input').fill(String(T));
    await page.keyboard.press('Enter');
    // Over the 16 MB trace limit: the run asks what to keep.
    await page.locator('.quick-input-widget', { hasText: 'trace limit' }).waitFor({ state: 'visible', timeout: 60_000 });
    await shoot('1-trace-choice');
    await pickQuickItem(page, 'Keep every step viewable from checkpoints');

    const frame = webviewFrame(page);
    const note = frame.locator('[data-testid="trace-streamed-note"]');
    const stopped = frame.locator('[data-testid="run-stopped"]:visible, [data-testid="error-banner"]:visible').first();
    await frame.locator('[data-testid="trace-explorer"][data-kept-paint-ms][data-rows-paint-ms]').or(stopped).first().waitFor({ state: 'attached', timeout: 300_000 });
    if (await stopped.count()) assert.fail(`the long run showed no result: "${(await stopped.innerText()).trim()}"`);
    assert.match(await note.innerText(), /checkpoints/);

    // The last rows: the table is scrolled to its end as a user drags its scrollbar; the page asks for that chunk
    // and the worker recomputes it from the checkpoint before it.
    const table = frame.locator('[data-testid="state-table"]').first();
    await table.scrollIntoViewIfNeeded();
    await table.evaluate((el) => {
      const scroller = el.closest('.mtable-scroll') ?? el.parentElement!;
      scroller.scrollTop = scroller.scrollHeight;
    });
    const late = table.locator(`[data-testid="state-cell"][data-step="${T - 1}"]`).first();
    await late.waitFor({ state: 'attached', timeout: 60_000 });
    // Values arrive with their chunk (NaN until then).
    let cells: { step: number; unit: number; value: number }[] = [];
    for (let i = 0; i < 120; i++) {
      cells = await table.locator('[data-testid="state-cell"]').evaluateAll((els) =>
        els.map((e) => ({ step: Number(e.getAttribute('data-step')), unit: Number(e.getAttribute('data-unit')), value: Number(e.getAttribute('data-value')) })));
      if (cells.some((c) => c.step === T - 1) && cells.every((c) => Number.isFinite(c.value))) break;
      await sleep(500);
    }
    const lateCells = cells.filter((c) => c.step >= T - 20);
    assert.ok(lateCells.length >= 20, `the table shows the last steps: ${lateCells.length} cells at steps ≥ ${T - 20}`);
    assert.ok(lateCells.every((c) => Number.isFinite(c.value)), 'every late cell holds a value');
    await page.mouse.move(5, 5);
    await page.setViewportSize({ width: 1280, height: 800 });
    await sleep(800);
    await shoot('2-late-steps-1280');
    await page.setViewportSize({ width: 760, height: 800 });
    await sleep(800);
    await shoot('3-late-steps-760');
    await page.setViewportSize({ width: 1400, height: 900 });

    const steps = [...new Set(lateCells.map((c) => c.step))].sort((a, b) => a - b);
    const expected = numpyH(path.join(wb!.ws.dir, MODEL), steps);
    let checked = 0;
    for (const c of lateCells) {
      const want = expected[steps.indexOf(c.step)][c.unit];
      // The table shows the value as the page holds it (float32); the loop sums in another order: float32 rounding.
      assert.ok(Math.abs(c.value - want) <= 1e-4, `h[step ${c.step}][unit ${c.unit}]: the panel shows ${c.value}, NumPy ${want}`);
      checked++;
    }
    console.log(`checked ${checked} late cells (steps ${steps[0]}..${steps[steps.length - 1]}) against the NumPy loop`);
  } catch (e) {
    failed = true;
    await wb!.shot('failure');
    throw e;
  }
});

test('a streamed step is worked out like an in-memory one; its CSV export streams with progress and stops on Cancel', { timeout: 600_000 }, async () => {
  const { page } = wb!;
  try {
    const frame = webviewFrame(page);
    const table = frame.locator('[data-testid="state-table"]').first();
    // A late step, far from the start: its window (the step and the one before) is recomputed from a checkpoint.
    const step = T - 3;
    const cell = table.locator(`[data-testid="state-cell"][data-step="${step}"]`).first();
    await cell.waitFor({ state: 'attached', timeout: 60_000 });
    await cell.click();
    const box = frame.locator('[data-testid="equation-box"]');
    await box.locator('[data-testid="equation-checks"]').waitFor({ state: 'visible', timeout: 60_000 });
    const text = await box.innerText();
    assert.match(text, new RegExp(`step k = ${step + 1}`), 'the equation names the step clicked (k counted from 1)');
    assert.doesNotMatch(text, /not written out/);
    assert.equal(await box.getAttribute('data-agrees'), 'true', 'the recomputed step equals the values the worker recomputed from its checkpoint');
    const h = box.locator('[data-testid="equation-checks"] [data-key="h"]');
    assert.equal(await h.getAttribute('data-agrees'), 'true');
    await page.mouse.move(5, 5);
    for (const [width, height] of [[1280, 800], [760, 800]]) {
      await page.setViewportSize({ width, height });
      await sleep(800);
      await box.scrollIntoViewIfNeeded();
      await shoot(`4-streamed-step-equation-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });

    // Trace CSV: the save dialog, then a progress notification while the worker recomputes window by window.
    await frame.locator('[data-testid="export-trace-csv"]').first().click();
    const pathBox = page.locator('.quick-input-widget input');
    await pathBox.waitFor({ state: 'visible', timeout: 15_000 });
    const deadline = Date.now() + 10_000;
    let target = await pathBox.inputValue();
    while (!/\.csv$/.test(target) && Date.now() < deadline) {
      await sleep(200);
      target = await pathBox.inputValue();
    }
    assert.match(target, /\.csv$/);
    await pathBox.press('Enter');
    const toast = page.locator('.notification-toast', { hasText: 'Exporting the trace' });
    await toast.waitFor({ state: 'visible', timeout: 60_000 });
    // The file grows while the notification says how far it got.
    let size = 0;
    for (let i = 0; i < 120 && size < 2_000_000; i++) {
      size = fs.existsSync(target) ? fs.statSync(target).size : 0;
      await sleep(500);
    }
    assert.ok(size >= 2_000_000, `the CSV is written piece by piece: ${size} bytes so far`);
    const head = fs.readFileSync(target, 'utf8').slice(0, 200).split('\n');
    assert.equal(head[0], 'layer,direction,k,t,sample,quantity,unit,value');
    assert.match(head[1], /^simple_rnn,,1,1,0,h,0,-?\d/);
    await toast.locator('.monaco-progress-container, .notification-list-item-message').first().waitFor({ state: 'visible' });
    await shoot('5-export-progress');
    assert.match(await toast.innerText(), /step [\d,]+ of 10,000/);
    await toast.getByRole('button', { name: 'Cancel' }).click();
    // Cancelled: the partial file is removed.
    for (let i = 0; i < 60 && fs.existsSync(target); i++) await sleep(500);
    assert.ok(!fs.existsSync(target), 'the partial CSV was removed after Cancel');
  } catch (e) {
    failed = true;
    await wb!.shot('failure');
    throw e;
  }
});

test('over the trace limit, "Keep only some layers…" estimates each layer and runs with the trace of the one chosen', { timeout: 600_000 }, async () => {
  const { page } = wb!;
  try {
    // The command runs the model in front: open the two-layer model first.
    await explorerRow(page, TWO).dblclick();
    await page.locator('.tab', { hasText: TWO }).first().waitFor({ state: 'visible', timeout: 60_000 });
    await sleep(1000);
    await runPaletteCommand(page, 'Run Forward Pass…');
    await page.locator('.quick-input-widget', { hasText: `Input for ${TWO}` }).waitFor({ state: 'visible', timeout: 30_000 });
    await pickQuickItem(page, 'Ramp 1..T');
    await page.locator('.quick-input-widget', { hasText: 'Time steps T' }).waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('.quick-input-widget input').fill(String(T));
    await page.keyboard.press('Enter');
    // 20 MB + 10 MB of full trace, over the 16 MB limit.
    const choice = page.locator('.quick-input-widget', { hasText: 'trace limit' });
    await choice.waitFor({ state: 'visible', timeout: 60_000 });
    const item = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Keep only some layers' });
    await item.waitFor({ state: 'visible', timeout: 15_000 });
    // Each layer's own estimate: N·T·M × 2 quantities (h, a) × 4 bytes.
    assert.match(await item.innerText(), /simple_rnn 19\.5 MB, simple_rnn_1 9\.8 MB/);
    await shoot('6-keep-some-layers');
    await item.click();
    const layers = page.locator('.quick-input-widget', { hasText: 'Layers that keep their trace' });
    await layers.waitFor({ state: 'visible', timeout: 15_000 });
    await layers.getByRole('checkbox', { name: 'simple_rnn_1, trace 9.8 MB' }).click();
    await sleep(300);
    await shoot('7-layers-chosen');
    await page.keyboard.press('Enter');

    const frame = webviewFrame(page);
    const explorer = frame.locator('[data-testid="trace-explorer"]');
    await explorer.waitFor({ state: 'visible', timeout: 300_000 });
    await frame.locator('[data-testid="run-summary"]', { hasText: 'T=10000' }).waitFor({ timeout: 60_000 });
    const options = await frame.locator('[data-testid="trace-layer"] [role="option"], [data-testid="trace-layer"] option').evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? ''));
    assert.equal(options.length, 1, `one layer kept its trace: ${JSON.stringify(options)}`);
    assert.match(options[0], /^simple_rnn_1 /);
    // Its 10 MB are under the limit: kept in full, no checkpoints.
    assert.equal((await frame.locator('[data-testid="trace-streamed-note"]').innerText()).trim(), '');
    await page.mouse.move(5, 5);
    await sleep(500);
    await shoot('8-one-layer-traced');
  } catch (e) {
    failed = true;
    await wb!.shot('failure');
    throw e;
  }
});
