// UI: "They're equal" in the real VS Code. Golden model a (SimpleRNN(2, linear) over x = [1, 2, 3] → Dense(1)) is
// run on its saved input; pasting what Keras printed for it, array([[-3.068111]], dtype=float32), shows "equal";
// a value 2e-5 off shows "different" with float32 rounding as the cause; a far value shows "different" and says no
// convention of this model explains it. At 1280×800 with the sidebar open, and at 760 px.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pickQuickItem, runPaletteCommand, sharedRoot, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

const MODEL = 'a_simplernn2_linear.keras';
let wb: Workbench | undefined;
let failed = false;

// What Keras printed for golden a, from ../shared/golden/golden.json, in the form NumPy prints a float32 array.
const golden = JSON.parse(fs.readFileSync(path.join(sharedRoot, 'golden', 'golden.json'), 'utf8')) as { cases: { id: string; keras_output: number[][] }[] };
const printedA = golden.cases.find((c) => c.id === 'a_simplernn2_linear')!.keras_output[0][0];
const KERAS_PRINTED = `array([[${printedA}]], dtype=float32)`;

before(async () => {
  wb = await openWorkbench({ readyFile: 'tesla-simplernn.keras', name: 'compare' });
  await wb.page.setViewportSize({ width: 1280, height: 800 });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'compare');
  await wb?.close();
}, { timeout: 60_000 });

test('pasting what Keras printed for golden a says equal; a wrong value says different, with a cause', { timeout: 300_000 }, async () => {
  const { page } = wb!;
  try {
    assert.equal(KERAS_PRINTED, 'array([[-3.068111]], dtype=float32)');
    await runPaletteCommand(page, 'Run Forward Pass…');
    // The pickers can take a while to appear on a busy machine.
    await pickQuickItem(page, MODEL, { filter: MODEL, timeout: 60_000 });
    await pickQuickItem(page, 'saved beside', { timeout: 60_000 });
    const frame = webviewFrame(page);
    const card = frame.locator('[data-testid="compare-card"]').first();
    await card.waitFor({ state: 'visible', timeout: 90_000 });
    const text = frame.locator('[data-testid="compare-text"]');
    const verdict = frame.locator('[data-testid="compare-verdict"]');

    // The time "in all" of a run started from the palette (its page may still be loading) covers the forward pass.
    const status = frame.locator('[data-testid="run-status"]', { hasText: /in all/ });
    await status.waitFor({ timeout: 30_000 });
    const times = (await status.innerText()).match(/([\d.]+) (ms|s) in all \(forward pass ([\d.]+) (ms|s)\)/);
    assert.ok(times, await status.innerText());
    const toMs = (v: string, unit: string): number => Number(v) * (unit === 's' ? 1000 : 1);
    assert.ok(toMs(times[1], times[2]) >= toMs(times[3], times[4]), `in all is at least the forward pass: ${times[0]}`);

    // Equal: the printed output of golden a.
    await text.fill(KERAS_PRINTED);
    await frame.locator('[data-testid="compare-button"]').click();
    await verdict.waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await verdict.getAttribute('data-equal'), 'true', await verdict.innerText());
    assert.match(await verdict.innerText(), /Equal within float32 rounding/);
    assert.match(await frame.locator('[data-testid="compare-tolerance"]').innerText(), /16 float32 ulps/);
    assert.equal(await frame.locator('[data-testid="compare-row"]').count(), 1);
    // The conventions in play are listed (golden a's SimpleRNN has none beyond the defaults; Keras computes in float32).
    await frame.locator('[data-testid="compare-conventions"] li').first().waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await frame.locator('[data-testid="compare-conventions"]').innerText(), /Conventions in play[\s\S]*simple_rnn[\s\S]*float32/);
    await card.scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await sleep(300);
    await wb!.shot('1-equal-1280');

    // Different, by 2e-5 (about 84 float32 ulps at 3.07): float32 rounding is named first.
    await text.fill('array([[-3.068131]], dtype=float32)');
    await frame.locator('[data-testid="compare-button"]').click();
    await frame.locator('[data-testid="compare-verdict"][data-equal="false"]').waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await verdict.innerText(), /Different/);
    const causes = frame.locator('[data-testid="compare-causes"] li');
    await causes.first().waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await causes.first().innerText(), /^Float32 rounding/);
    await card.scrollIntoViewIfNeeded();
    await sleep(300);
    await wb!.shot('2-different-1280');

    // Far off: no convention of this model explains it, and the card says what to check.
    await text.fill('[[-2.5]]');
    await frame.locator('[data-testid="compare-button"]').click();
    await frame.locator('[data-testid="compare-causes"] li', { hasText: /None of this model's conventions/ }).first().waitFor({ state: 'visible', timeout: 15_000 });

    // Bad text: one sentence, no verdict.
    await text.fill('array([[ 0.1, ..., 0.9]], dtype=float32)');
    await frame.locator('[data-testid="compare-button"]').click();
    await frame.locator('[data-testid="compare-error"]', { hasText: 'np.set_printoptions(threshold=np.inf)' }).waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await verdict.count(), 0, 'no verdict beside an error');

    // 760 px: the same equal verdict, and the card fits its box.
    await text.fill(KERAS_PRINTED);
    await frame.locator('[data-testid="compare-button"]').click();
    await frame.locator('[data-testid="compare-verdict"][data-equal="true"]').waitFor({ state: 'visible', timeout: 15_000 });
    await page.setViewportSize({ width: 760, height: 800 });
    await sleep(800);
    await card.scrollIntoViewIfNeeded();
    await sleep(300);
    await wb!.shot('3-equal-760');
    const overflow = await card.evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.ok(overflow <= 1, `the compare card does not overflow its box at 760 px (by ${overflow} px)`);
  } catch (e) {
    failed = true;
    await wb!.shot('failure');
    throw e;
  }
});
