// The extension tests' entry, loaded by VS Code's extension host through the workbench URL's `payload`
// (extensionTestsPath): runs every compiled suite out/test/suite/*.test.js with mocha and reports the counts.
// Suites may use either mocha interface: tdd (suite/test/setup) or bdd (describe/it/before).
// Counts go back two ways: a `@@kri-results {json}` log line (read from codeAutomationLog by the runner), and,
// when KRI_TEST_RESULTS names a file, that JSON written to it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface SuiteResults {
  passes: number;
  failures: number;
  pending: number;
  failed: { title: string; error: string }[];
  durationMs: number;
}

export const RESULTS_MARK = '@@kri-results ';

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    timeout: Number(process.env.KRI_MOCHA_TIMEOUT_MS || 60_000),
    grep: process.env.KRI_MOCHA_GREP || undefined,
    reporter: 'spec',
  });
  // Also bind the bdd globals, so a suite file written with describe/it works too.
  Mocha.interfaces.bdd(mocha.suite);

  const suiteDir = path.join(__dirname, 'suite');
  const files = fs.existsSync(suiteDir) ? fs.readdirSync(suiteDir).filter((f) => f.endsWith('.test.js')).sort() : [];
  for (const f of files) mocha.addFile(path.join(suiteDir, f));

  const results: SuiteResults = { passes: 0, failures: 0, pending: 0, failed: [], durationMs: 0 };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (files.length === 0) {
      reject(new Error(`no compiled suites in ${suiteDir}: run scripts/build-tests.mjs`));
      return;
    }
    let runner: Mocha.Runner;
    try {
      runner = mocha.run((failures) => {
        results.durationMs = Date.now() - started;
        report(results);
        if (failures > 0) reject(new Error(`${failures} tests failed.`));
        else resolve();
      });
    } catch (e) {
      results.failures += 1;
      results.failed.push({ title: 'loading the suites', error: String(e instanceof Error ? e.stack : e) });
      report(results);
      reject(e);
      return;
    }
    runner.on('pass', () => { results.passes += 1; });
    runner.on('pending', () => { results.pending += 1; });
    runner.on('fail', (t, err: unknown) => {
      results.failures += 1;
      results.failed.push({ title: t.fullTitle(), error: err instanceof Error ? err.message : String(err) });
    });
  });
}

function report(results: SuiteResults): void {
  console.log(RESULTS_MARK + JSON.stringify(results));
  const file = process.env.KRI_TEST_RESULTS;
  if (file) {
    try { fs.writeFileSync(file, JSON.stringify(results, null, 2)); } catch (e) { console.error(`could not write ${file}: ${String(e)}`); }
  }
}
