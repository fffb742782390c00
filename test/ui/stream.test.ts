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
import { pickQuickItem, runPaletteCommand, sharedRoot, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

const MODEL = 'long-simplernn256-stream.h5';
const T = 10_000, M = 256;
const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const shots = process.env.STREAM_SHOTS_DIR;
let wb: Workbench | undefined;
let failed = false;

function writeModel(dir: string): void {
  const script = `
import json, sys, h5py, numpy
src, dst, M = sys.argv[1], sys.argv[2], int(sys.argv[3])
with h5py.File(src, "r") as b:
    cfg = json.loads(b.attrs["model_config"])
    keras_version, backend = b.attrs["keras_version"], b.attrs["backend"]
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
with h5py.File(dst, "w") as f:
    f.attrs["backend"] = backend
    f.attrs["keras_version"] = keras_version
    f.attrs["model_config"] = json.dumps(cfg)
    mw = f.create_group("model_weights")
    mw.attrs["backend"] = backend
    mw.attrs["keras_version"] = keras_version
    mw.attrs["layer_names"] = numpy.array(list(w), dtype=h5py.string_dtype())
    for layer, arrays in w.items():
        g = mw.create_group(layer)
        g.attrs["weight_names"] = numpy.array([n for n, _ in arrays], dtype=h5py.string_dtype())
        for name, value in arrays:
            g.create_dataset(name, data=value.astype("float32"))
    mw.create_group("top_level_model_weights").attrs["weight_names"] = numpy.array([], dtype="float64")
`;
  try {
    execFileSync(python, ['-c', script, path.join(sharedRoot, 'golden/b_simplernn5_tanh.h5'), path.join(dir, MODEL), String(M)], { stdio: 'pipe' });
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
