// Regenerates the README screenshot (media/screenshot.png) in the real VS Code: golden model b, Run Forward Pass
// with the ramp input, then step 3 clicked so the panel writes out h_3 = tanh(x_3·W_x + h_2·W_h + b) in numbers.
//   node --import tsx scripts/screenshot.ts        (needs what `npm test` needs: code-server and Chromium)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pickQuickItem, repoRoot, runPaletteCommand, sleep, webviewFrame } from '../test/vscode/harness';
import { openWorkbench } from '../test/ui/fixture';

async function main(): Promise<void> {
  const wb = await openWorkbench({ readyFile: 'tesla-simplernn.keras', name: 'readme' });
  try {
    const { page } = wb;
    await page.setViewportSize({ width: 1400, height: 1000 });
    await runPaletteCommand(page, 'Run Forward Pass…');
    await pickQuickItem(page, 'b_simplernn5_tanh.h5', { filter: 'b_simplernn5_tanh.h5' });
    await pickQuickItem(page, 'Ramp 1..T');
    await runPaletteCommand(page, 'View: Toggle Primary Side Bar Visibility'); // more room for the panel
    const frame = webviewFrame(page);
    const cell = frame.locator('[data-testid="state-table"][data-quantity="h"] [data-testid="state-cell"][data-step="2"][data-unit="0"]').first();
    await cell.waitFor({ state: 'visible', timeout: 60_000 });
    await cell.click();
    const equation = frame.locator('[data-testid="equation-box"]').first();
    await equation.waitFor({ state: 'visible', timeout: 30_000 });
    await equation.scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await sleep(500);
    const out = path.join(repoRoot, 'media', 'screenshot.png');
    fs.copyFileSync(await wb.shot('equation'), out);
    console.log(`wrote ${out}`);
  } finally {
    await wb.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
