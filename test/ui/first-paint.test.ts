// UI: a long result stays responsive. SimpleRNN(256) over T = 1000 (M = 256, so 256,000 hidden-state values):
// run it from the palette with a ramp and read the first-paint time the webview exposes on
// results-root[data-first-paint-ms]. The product's target is 200 ms; the test fails beyond 1000 ms (a table that
// is not virtualized takes seconds), and prints the figure for the record.
//
// The model file is written here with h5py (test/helpers/golden_b_variant.py) in exactly the layout of golden
// model b (a Keras 2.15 legacy .h5: same model_config with units 256 and T = None, same weight paths), with seeded
// random weights.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pickQuickItem, runPaletteCommand, repoRoot, sharedRoot, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

/** The scripts below import test/helpers/golden_b_variant.py. */
const helperEnv = { ...process.env, PYTHONPATH: path.join(repoRoot, 'test/helpers') };

const MODEL = 'long-simplernn256.h5';
const T = 1000, M = 256;
let wb: Workbench | undefined;
let failed = false;

function writeLongModel(dir: string): void {
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const script = `
import sys, numpy
from golden_b_variant import read_b, write_like_b
src, dst, M = sys.argv[1], sys.argv[2], int(sys.argv[3])
cfg, keras_version, backend = read_b(src)
layers = cfg["config"]["layers"]
for l in layers:
    if "batch_input_shape" in l["config"]:
        l["config"]["batch_input_shape"] = [None, None, 1]
    if l["class_name"] == "SimpleRNN":
        l["config"]["units"] = M
rng = numpy.random.default_rng(7)
w = {
  "simple_rnn": [("simple_rnn/simple_rnn_cell/kernel:0", rng.normal(0, 0.02, (1, M))),
                 ("simple_rnn/simple_rnn_cell/recurrent_kernel:0", rng.normal(0, 0.9 / numpy.sqrt(M), (M, M))),
                 ("simple_rnn/simple_rnn_cell/bias:0", numpy.zeros(M))],
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

before(async () => {
  wb = await openWorkbench({ readyFile: MODEL, name: 'first-paint', extra: writeLongModel });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'first-paint');
  await wb?.close();
}, { timeout: 60_000 });

test(`first paint of a T=${T}, M=${M} result`, { timeout: 240_000 }, async (t) => {
  const { page } = wb!;
  try {
    await runPaletteCommand(page, 'Run Forward Pass…');
    await pickQuickItem(page, MODEL, { filter: MODEL });
    await pickQuickItem(page, 'Ramp 1..T');
    // T is None in this model: the command asks for it.
    await page.locator('.quick-input-widget', { hasText: 'Time steps T' }).waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('.quick-input-widget input').fill(String(T));
    await page.keyboard.press('Enter');

    const frame = webviewFrame(page);
    const painted = frame.locator('[data-testid="results-root"][data-first-paint-ms]');
    const stopped = frame.locator('[data-testid="run-stopped"]:visible, [data-testid="error-banner"]:visible').first();
    await painted.or(stopped).first().waitFor({ state: 'attached', timeout: 120_000 });
    await sleep(200); // the stopped banner and the first-paint mark land in the same frame
    if (!(await painted.count()) || (await stopped.count())) {
      await wb!.shot('1-run-stopped');
      assert.fail(`the long run showed no result: "${(await stopped.innerText()).trim()}"`);
    }
    const ms = Number(await painted.getAttribute('data-first-paint-ms'));
    const table = frame.locator('[data-testid="state-table"]').first();
    await table.waitFor({ state: 'visible' });
    const rowsInDom = await table.locator('tbody tr[data-row]').count();
    const cellsInDom = await table.locator('[data-testid="state-cell"]').count();
    const line = `first paint of a T=${T}, M=${M} result: ${ms} ms (target 200 ms); ${rowsInDom} rows and ${cellsInDom} cells in the DOM of ${T * M}`;
    t.diagnostic(line);
    console.log(line);
    await page.mouse.move(5, 5);
    await sleep(300);
    await wb!.shot('1-long-result');
    assert.ok(Number.isFinite(ms) && ms > 0, `data-first-paint-ms is a positive number: ${ms}`);
    assert.ok(cellsInDom < T * M / 10, `the table is virtualized: ${cellsInDom} cells in the DOM`);
    assert.ok(ms < 1000, `first paint ${ms} ms (target 200 ms)`);
  } catch (e) {
    failed = true;
    await wb!.shot('failure');
    throw e;
  }
});
