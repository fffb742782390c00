// UI: the functional graph, the time-series windows and the run history in the real VS Code, one workbench for all
// three, at 1280×800 with the sidebar open and at 760 px wide; screenshots in test-artifacts/ui/graph-history-*.
//
// 1. The Keras 3 seq2seq decoder (shared models2): its graph shows input_layer_8 and input_layer_9 flowing into the
//    LSTM's initial_state; clicking a box selects that layer in the table.
// 2. The sunspot model on the sunspots CSV: windows of L rows every S rows give N = floor((rows − L) / S) + 1
//    samples, rows counted here from the file itself; after Run the predicted-vs-actual plot shows, saying the rows
//    are yearly.
// 3. The history lists the ramp run and the windows run with a difference heatmap; running the same windows twice
//    gives a difference of 0.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { answerOpenDialog, explorerContextAction, pickQuickItem, runPaletteCommand, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';
import { loadModel } from '../../extension/keras/documentNode';
import { runForward } from '../../extension/keras/forward';
import { tensor } from '../../extension/keras/tensor';

const SEQ2SEQ = 'seq2seq-decoder-k310.keras';
const SUNSPOT = 'sunspot-rnn.h5';
const CSV = 'sunspots-data.csv';
const L = 30;
const S = 3;
let wb: Workbench | undefined;
let failed = false;

before(async () => {
  wb = await openWorkbench({
    readyFile: SEQ2SEQ,
    name: 'graph-history',
    extra: (dir) => fs.copyFileSync(path.resolve('../shared/models2/files', SEQ2SEQ), path.join(dir, SEQ2SEQ)),
  });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'graph-history');
  await wb?.close();
}, { timeout: 60_000 });

/** The Explorer at its usual width (1280×800 with the sidebar) or a 760 px window. */
async function widths(page: Page, fn: (width: number) => Promise<void>): Promise<void> {
  for (const width of [1280, 760]) {
    await page.setViewportSize({ width, height: 800 });
    await sleep(400);
    await fn(width);
  }
}

async function guard(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    failed = true;
    await wb!.shot('failure');
    throw e;
  }
}

/** Whether a graph box or table row carries the class `selected`. */
const isSelected = (frame: FrameLocator, selector: string) => frame.locator(selector).first().evaluate((e) => e.classList.contains('selected'));

test('functional graph: the decoder\'s h and c inputs flow into the LSTM initial_state; clicking a box selects the layer', { timeout: 300_000 }, async () => {
  const { page } = wb!;
  await guard(async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await explorerContextAction(page, SEQ2SEQ, /^Inspect RNN/, page.locator('.tab', { hasText: SEQ2SEQ }).first());
    const frame = webviewFrame(page);
    const graph = frame.locator('[data-testid="graph-view"]');
    await graph.waitFor({ state: 'visible', timeout: 60_000 });
    const nodes = await frame.locator('[data-testid="graph-node"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer')));
    assert.deepEqual([...nodes].sort(), ['input_layer_1', 'input_layer_8', 'input_layer_9', 'lstm_1', 'time_distributed']);
    const states = await frame.locator('[data-testid="graph-edge"][data-kind="state"]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}`));
    assert.deepEqual(states.sort(), ['input_layer_8>lstm_1', 'input_layer_9>lstm_1']);
    const inputs = await frame.locator('[data-testid="graph-edge"][data-kind="input"]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}`));
    assert.deepEqual(inputs.sort(), ['input_layer_1>lstm_1', 'lstm_1>time_distributed']);

    await widths(page, async (width) => {
      const pick = width === 1280 ? 'lstm_1' : 'time_distributed';
      await frame.locator(`[data-testid="graph-node"][data-layer="${pick}"]`).click();
      await frame.locator(`[data-testid="layer-row"][data-layer="${pick}"].selected`).waitFor({ state: 'attached', timeout: 10_000 });
      assert.equal(await isSelected(frame, `[data-testid="graph-node"][data-layer="${pick}"]`), true, `the ${pick} box is marked selected`);
      assert.match(await frame.locator('[data-testid="layer-detail"] h2').innerText(), new RegExp(pick));
      const others = await frame.locator('[data-testid="layer-row"].selected').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer')));
      assert.deepEqual(others, [pick], 'exactly one layer row is selected');
      // The graph is a box of the page, not wider than it.
      const box = await graph.boundingBox();
      assert.ok(box && box.width <= width, `the graph card fits the ${width} px window (${box?.width} px)`);
      await graph.scrollIntoViewIfNeeded();
      await page.mouse.move(5, 5);
      await sleep(300);
      await wb!.shot(`1-graph-${width}`);
    });
  });
});

/** The sunspots file counted here: its non-empty lines. */
function csvRows(): number {
  return fs.readFileSync(path.resolve('media/samples', CSV), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '').length;
}

async function runAndWait(page: Page, frame: FrameLocator, previous: number): Promise<number> {
  await frame.locator('[data-testid="run-button"]').click();
  const results = frame.locator('[data-testid="results-root"]');
  for (let i = 0; i < 600; i++) {
    const id = Number(await results.getAttribute('data-run-id').catch(() => null));
    if (id > previous) return id;
    if (await frame.locator('[data-testid="error-banner"]:visible').count()) assert.fail(`the run failed: ${await frame.locator('[data-testid="error-banner"]').innerText()}`);
    await sleep(200);
  }
  void page;
  assert.fail('no new run within 120 s');
}

test('windows from the sunspots CSV: N samples as counted, predicted against actual next values, yearly rows said; the history compares runs', { timeout: 600_000 }, async () => {
  const { page } = wb!;
  await guard(async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    // The sunspot model in its own inspector (no editor open: the command asks which model), run on its ramp 1..T.
    await runPaletteCommand(page, 'View: Close All Editors');
    await sleep(500);
    await runPaletteCommand(page, 'Inspect RNN…');
    await pickQuickItem(page, SUNSPOT, { filter: SUNSPOT, timeout: 90_000 });
    const frame = webviewFrame(page);
    await frame.locator('[data-testid="header-file"]', { hasText: SUNSPOT }).waitFor({ state: 'visible', timeout: 60_000 });
    const rampRun = await runAndWait(page, frame, 0);
    await frame.locator('[data-testid="model-output"]').first().waitFor({ state: 'visible', timeout: 60_000 });

    // Load the CSV through the open dialog (code-server's simple dialog takes a typed path).
    await frame.locator('[data-testid="tab-input"]').click();
    await frame.locator('[data-testid="fill-csv"]').click();
    await answerOpenDialog(page, path.join(wb!.ws.dir, 'samples', CSV));
    const control = frame.locator('[data-testid="windows-control"]');
    await control.waitFor({ state: 'visible', timeout: 30_000 });
    const cadence = await frame.locator('[data-testid="windows-cadence"]').innerText();
    assert.match(cadence, /yearly/);
    assert.match(cadence, /323 rows/);

    const rows = csvRows();
    assert.equal(rows, 323);
    const expectedN = Math.floor((rows - L) / S) + 1;
    await frame.locator('[data-testid="windows-length"]').evaluate((e, v) => { (e as unknown as { value: string }).value = v; }, String(L));
    await frame.locator('[data-testid="windows-stride"]').evaluate((e, v) => { (e as unknown as { value: string }).value = v; }, String(S));
    await frame.locator('[data-testid="windows-make"]').click();
    const made = frame.locator('[data-testid="windows-made"]');
    await made.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(Number(await made.getAttribute('data-n')), expectedN, `N = floor((${rows} − ${L}) / ${S}) + 1`);
    assert.match(await frame.locator('[data-testid="windows-preview"]').innerText(), new RegExp(`= ${expectedN} windows`));
    assert.equal(await frame.locator('[data-testid="input-n"]').evaluate((e) => (e as unknown as { value: string }).value), String(expectedN));
    assert.equal(await frame.locator('[data-testid="input-t"]').evaluate((e) => (e as unknown as { value: string }).value), String(L));
    // The grid's first sample is the first L values of the column, as the file has them.
    const col1 = fs.readFileSync(path.resolve('media/samples', CSV), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => Number(l.split(';')[1]));
    const firstCell = Number(await frame.locator('[data-testid="input-cell"][data-d="0"]').first().innerText());
    assert.equal(firstCell, col1[0]);
    await control.scrollIntoViewIfNeeded();
    await sleep(300);
    await wb!.shot('2-windows-1280');

    const windowsRun = await runAndWait(page, frame, rampRun);
    const forecast = frame.locator('[data-testid="forecast-view"]');
    await forecast.waitFor({ state: 'visible', timeout: 30_000 });
    await frame.locator('[data-testid="forecast-chart"] canvas').first().waitFor({ state: 'attached', timeout: 30_000 });
    assert.match(await frame.locator('[data-testid="forecast-cadence"]').innerText(), /yearly/);
    // Windows with an actual next value: those ending before the last row.
    const withNext = Array.from({ length: expectedN }, (_, k) => k * S + L).filter((r) => r < rows).length;
    assert.equal(Number(await frame.locator('[data-testid="forecast-stats"]').getAttribute('data-count')), withNext);
    // The plotted pairs are the model's prediction for each window against the row after it: the windows cut here
    // from the file's lines, run by the core in this process, give the same mean absolute error.
    const x = tensor([expectedN, L, 1], Array.from({ length: expectedN }, (_, k) => col1.slice(k * S, k * S + L)).flat());
    const out = (await runForward(await loadModel(path.join(wb!.ws.dir, 'samples', SUNSPOT)), [x])).outputs[0];
    let abs = 0;
    let pairs = 0;
    for (let k = 0; k < expectedN; k++) {
      if (k * S + L >= rows) continue;
      abs += Math.abs(out.data[k] - col1[k * S + L]);
      pairs++;
    }
    const mae = Number(await frame.locator('[data-testid="forecast-stats"]').getAttribute('data-mae'));
    assert.ok(Math.abs(mae - abs / pairs) <= 1e-6 * (abs / pairs), `mean absolute error: the panel ${mae}, by hand ${abs / pairs}`);

    // History: the ramp run and the windows run, with a difference heatmap between them.
    const history = frame.locator('[data-testid="history-view"]');
    const listed = async () => frame.locator('[data-testid="history-row"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-run-id'))));
    assert.deepEqual(await listed(), [windowsRun, rampRun]);
    assert.match(await frame.locator(`[data-testid="history-row"][data-run-id="${windowsRun}"]`).innerText(), new RegExp(`${expectedN} windows of ${L} rows \\(stride ${S}\\)`));
    await frame.locator('[data-testid="diff-heatmap"]').waitFor({ state: 'visible', timeout: 10_000 });
    const differ = Number(await frame.locator('[data-testid="diff-max"]').getAttribute('data-value'));
    assert.ok(differ > 0, `a ramp and the sunspot windows give different h_t (max |difference| ${differ})`);
    await forecast.scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await sleep(400);
    await wb!.shot('3-forecast-1280');
    await history.scrollIntoViewIfNeeded();
    await sleep(300);
    await wb!.shot('4-history-differ-1280');

    // The same windows again: identical h_t, a difference of exactly 0.
    const again = await runAndWait(page, frame, windowsRun);
    assert.deepEqual(await listed(), [again, windowsRun, rampRun]);
    await frame.locator('[data-testid="diff-heatmap"]').waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(Number(await frame.locator('[data-testid="diff-max"]').getAttribute('data-value')), 0);
    assert.match(await frame.locator('[data-testid="diff-max"]').innerText(), /identical/);

    await page.setViewportSize({ width: 760, height: 800 });
    await sleep(600);
    await forecast.scrollIntoViewIfNeeded();
    const fbox = await forecast.boundingBox();
    assert.ok(fbox && fbox.width <= 760, `the forecast card fits 760 px (${fbox?.width} px)`);
    await page.mouse.move(5, 5);
    await sleep(300);
    await wb!.shot('5-forecast-760');
    await history.scrollIntoViewIfNeeded();
    const hbox = await history.boundingBox();
    assert.ok(hbox && hbox.width <= 760, `the history card fits 760 px (${hbox?.width} px)`);
    await sleep(300);
    await wb!.shot('6-history-same-760');
    await frame.locator('[data-testid="tab-input"]').click();
    await control.scrollIntoViewIfNeeded();
    await sleep(300);
    await wb!.shot('7-windows-760');
  });
});
