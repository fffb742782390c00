// UI: live recompute in the real VS Code. Golden model b (SimpleRNN(5, tanh) over T = 10, D = 3 → Dense(2)) is run
// once on the ramp; pasting the golden input shows Keras's own output (golden.json) with no Run click; then typing into
// an input cell changes the outputs under the grid and in the Results tab to what a NumPy loop on the file's weights
// gives for the edited input (test/helpers/simplernn_dense_numpy.py, /usr/bin/python3 with h5py). (The ramp saturates
// tanh, so edits are made on the golden input, where they move the output.) Typed edits are computed in the page
// (data-local, the model's weights were sent once). Invalid text gets its sentence, no run. Last, Run on the edited
// input: the Results tab's every number (outputs, the h table, the layer previews) is the same as the live one showed.
// At 1280×800 with the sidebar, then at 760 px wide; screenshots in test-artifacts/ui/live-*.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pickQuickItem, runPaletteCommand, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

const MODEL = 'b_simplernn5_tanh.h5';
let wb: Workbench | undefined;
let failed = false;

before(async () => {
  wb = await openWorkbench({ readyFile: 'tesla-simplernn.keras', name: 'live' });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'live');
  await wb?.close();
}, { timeout: 60_000 });

/** Golden b's outputs for input x (1×T×D), by the NumPy loop on the workspace copy's weights. */
function numpy(x: number[][][]): number[] {
  const out = execFileSync('/usr/bin/python3', [path.resolve('test/helpers/simplernn_dense_numpy.py'), path.join(wb!.ws.dir, 'samples', MODEL)], { input: JSON.stringify(x), encoding: 'utf8' });
  return (JSON.parse(out) as number[][])[0];
}

const golden = path.resolve('../shared/golden');
const caseB = (JSON.parse(readFileSync(path.join(golden, 'golden.json'), 'utf8')) as { cases: { id: string; input: number[][][]; keras_output: number[][] }[] }).cases.find((c) => c.id === 'b_simplernn5_tanh')!;

test('typing into an input cell of golden b recomputes the outputs without Run (NumPy reference), at 1280×800 and 760 px', { timeout: 300_000 }, async () => {
  const { page } = wb!;
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    await runPaletteCommand(page, 'Run Forward Pass…');
    // The shared machine may take a while to show the picker.
    await pickQuickItem(page, MODEL, { filter: MODEL, timeout: 90_000 });
    await pickQuickItem(page, 'Ramp 1..T', { timeout: 60_000 });
    const frame = webviewFrame(page);
    const results = frame.locator('[data-testid="results-root"]');
    await frame.locator('[data-testid="model-output"]').first().waitFor({ state: 'visible', timeout: 60_000 });
    const firstRun = Number(await results.getAttribute('data-run-id'));

    await frame.locator('[data-testid="tab-input"]').click();
    const live = frame.locator('[data-testid="input-live"]');
    await live.waitFor({ state: 'visible' });
    assert.equal(await live.evaluate((e) => (e as unknown as { checked: boolean }).checked), true, 'Live is on by default for a 57-parameter model');

    const values = async () => frame.locator('[data-testid="live-value"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    const runId = async () => Number(await frame.locator('[data-testid="live-output"]').getAttribute('data-run-id'));
    // Live results computed in the page so far (a page result has a negative run id).
    const seq = async () => Number(await frame.locator('[data-testid="live-output"]').getAttribute('data-seq'));
    const expectOutputs = async (x: number[][][] | number[], what: string) => {
      const want = typeof x[0] === 'number' ? (x as number[]) : numpy(x as number[][][]);
      let got: number[] = [];
      for (let i = 0; i < 100; i++) {
        got = await values().catch(() => []);
        if (got.length === want.length && got.every((v, k) => Math.abs(v - want[k]) < 1e-5)) return;
        await sleep(100);
      }
      assert.fail(`${what}: the live output shows ${JSON.stringify(got)}, NumPy gives ${JSON.stringify(want)}`);
    };

    // Paste the golden input: Keras's output appears under the grid without Run.
    await frame.locator('[data-testid="fill-paste"]').click();
    await frame.locator('[data-testid="paste-text"]').evaluate((e, text) => void ((e as unknown as { value: string }).value = text), JSON.stringify(caseB.input));
    await frame.locator('[data-testid="paste-apply"]').click();
    await expectOutputs(caseB.keras_output[0], 'after pasting the golden input (Keras output)');
    const pastedRun = await runId();
    assert.notEqual(pastedRun, firstRun, `a new run (${pastedRun}) after the Run of ${firstRun}`);
    const pastedSeq = await seq();

    // Type 2.5 into x[t = 4, d = 1], keystroke by keystroke, and do not press Enter or Run.
    const cell = frame.locator('[data-testid="input-cell"][data-t="4"][data-d="1"]');
    await cell.click();
    await page.keyboard.type('2.5', { delay: 40 });
    const x1 = caseB.input.map((s) => s.map((r) => r.slice()));
    x1[0][4][1] = 2.5;
    await expectOutputs(x1, 'after typing 2.5 at t=4, d=1');
    // data-seq counts the results computed in the page (the host's copy, run once typing pauses, may be shown since).
    assert.ok(pastedSeq >= 1 && (await seq()) > pastedSeq, `the paste (${pastedSeq}) and the typed edit (${await seq()}) were computed in the page`);
    const moved = (await values()).map((v, k) => Math.abs(v - caseB.keras_output[0][k]));
    assert.ok(Math.max(...moved) > 1e-3, `the edit moved the output (by ${moved.join(', ')})`);
    await page.mouse.move(5, 5);
    await sleep(300);
    await wb!.shot('1-typed-1280');

    // Enter commits the same value: no further run needed, the output stays.
    await page.keyboard.press('Enter');
    await sleep(500);
    await expectOutputs(x1, 'after Enter');

    // The Results tab, kept behind Input while typing, shows the run the live output shows once it is opened (the
    // page's, or the host's copy of the same values if typing paused long enough for it to land).
    await frame.locator('[data-testid="tab-results"]').click();
    let same = false;
    for (let i = 0; i < 50 && !same; i++) {
      same = (await results.getAttribute('data-run-id')) === String(await runId());
      if (!same) await sleep(100);
    }
    assert.ok(same, `the Results tab shows the live run (${await results.getAttribute('data-run-id')} vs ${await runId()})`);
    await frame.locator('[data-testid="tab-input"]').click();

    // Invalid text: the sentence, and no run.
    const before = await seq();
    const cell2 = frame.locator('[data-testid="input-cell"][data-t="0"][data-d="0"]');
    await cell2.click();
    await page.keyboard.type('abc', { delay: 40 });
    const validation = frame.locator('[data-testid="input-validation"]');
    await frame.locator('[data-testid="input-validation"] .inline-error').waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await validation.innerText(), /"abc" is not a number/);
    await sleep(600);
    assert.equal(await seq(), before, 'invalid text runs nothing');
    await wb!.shot('2-invalid-1280');
    await page.keyboard.press('Escape');

    // At 760 px: a negative number, typed.
    await page.setViewportSize({ width: 760, height: 800 });
    await sleep(800);
    const prev = await values();
    const cell3 = frame.locator('[data-testid="input-cell"][data-t="9"][data-d="2"]');
    await cell3.scrollIntoViewIfNeeded();
    await cell3.click();
    await page.keyboard.type('-0.75', { delay: 40 });
    const x2 = x1.map((s) => s.map((r) => r.slice()));
    x2[0][9][2] = -0.75;
    await expectOutputs(x2, 'after typing -0.75 at t=9, d=2');
    const moved2 = (await values()).map((v, k) => Math.abs(v - prev[k]));
    assert.ok(Math.max(...moved2) > 1e-3, `the edit moved the output (by ${moved2.join(', ')})`);
    await page.keyboard.press('Enter');
    await frame.locator('[data-testid="live-output"]').scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await sleep(300);
    await wb!.shot('3-typed-760');

    // Run on the edited input: every number of the Results tab is the one the live edit showed.
    await frame.locator('[data-testid="tab-results"]').click();
    const numbersShown = async () => ({
      outputs: await frame.locator('[data-testid="model-output"] code').allInnerTexts(),
      cells: await frame.locator('[data-testid="state-cell"]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step')},${e.getAttribute('data-unit')}=${e.getAttribute('data-value')}`)),
      layers: await frame.locator('[data-testid="layer-output"] code.preview').allInnerTexts(),
    });
    const shownLive = await numbersShown();
    assert.ok(shownLive.cells.length >= 5, `the h table shows values (${shownLive.cells.length})`);
    // The host's copy of the typed values (run once typing pauses) has landed or been dropped by now.
    await sleep(1500);
    const shownRun = await results.getAttribute('data-run-id');
    await frame.locator('[data-testid="run-button"]').click();
    let ran = false;
    for (let i = 0; i < 600 && !ran; i++) {
      await sleep(100);
      ran = (await results.getAttribute('data-run-id')) !== shownRun && (await results.getAttribute('data-first-paint-ms')) !== null;
    }
    assert.ok(ran, 'the Run finished');
    await sleep(300);
    const full = await numbersShown();
    assert.deepEqual(full, shownLive, 'a Run shows the numbers the live edit showed');
    await wb!.shot('4-run-equals-live-760');
  } catch (e) {
    failed = true;
    await wb!.shot('failure');
    throw e;
  }
});
