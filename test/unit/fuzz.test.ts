// The fuzz suite in `npm test`: 2,000 seeded cases (test/fuzz/cases.ts) against the core and, for a sample, the CLI.
// Every case must end correct or with one clear sentence, within 2 s and 512 MB. A failure names the case and the
// command that reproduces it alone (`npm run fuzz -- --seed 1 --case N`); the whole report is written to
// test-artifacts/fuzz/report.json. KRI_FUZZ_CASES / KRI_FUZZ_SEED change the run (a longer one: `npm run fuzz`).
//
// First the harness's own probes: a known hang, memory hog, crash, stack overflow and unclear message must each be
// classified as such, or a green fuzz run would mean nothing.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { KINDS } from '../fuzz/cases';
import type { Outcome, Probe } from '../fuzz/protocol';
import { NO_NUMPY_REASON, PYTHON_WITH_NUMPY } from './helpers/python';
import { formatReport, reproduce, runFuzz, writeReport, type FuzzReport } from '../fuzz/runner';

const SEED = Number(process.env.KRI_FUZZ_SEED ?? 1);
const CASES = Number(process.env.KRI_FUZZ_CASES ?? 2000);

describe('the fuzz harness classifies known failures', () => {
  const expected: [Probe, Outcome][] = [['hang', 'hang'], ['memory', 'over memory'], ['crash', 'crash'], ['stack', 'crash'], ['unclear', 'unclear message']];
  for (const [probe, outcome] of expected) {
    test(`probe "${probe}" ends as ${outcome}`, async () => {
      // The memory probe allocates 2 GB; a 128 MB limit catches it early even on a busy machine.
      const r = await runFuzz({ seed: SEED, cases: 1, only: [1], workers: 1, probe, memoryLimitMB: probe === 'memory' ? 128 : 512 });
      assert.equal(r.results.length, 1);
      assert.equal(r.results[0].outcome, outcome, JSON.stringify(r.results[0]));
      assert.equal(r.failures.length, 1);
    });
  }
});

describe(`fuzz: ${CASES} cases, seed ${SEED}`, () => {
  let report: FuzzReport;
  before(async () => {
    // One case at a time: on this 2-vCPU machine a second worker doubled the CPU time of a compute-heavy legal case
    // (an LSTM over T = 10^5: 0.9 s alone, 1.97 s beside another), so each case's 2 s would depend on its neighbour.
    report = await runFuzz({ seed: SEED, cases: CASES, workers: 1 });
    writeReport(report);
    console.log(formatReport(report, 60));
  }, { timeout: 8 * 60_000 });

  test('exported NumPy scripts of hostile cases ran with python3', { skip: PYTHON_WITH_NUMPY ? false : NO_NUMPY_REASON }, () => {
    assert.ok(report.results.some((r) => r.hostile && r.outcome === 'correct'), 'no hostile case reached the export');
  });

  test('the run covers every kind', () => {
    assert.equal(report.results.length, CASES);
    if (CASES >= 2000) for (const k of KINDS) assert.ok(Object.values(report.byKind[k]).reduce((a, b) => a + (b ?? 0), 0) > 0, `no ${k} case ran`);
  });

  for (const kind of KINDS) {
    test(`${kind}: every case correct or one clear sentence, within 2 s and 512 MB`, () => {
      const failing = report.failures.filter((f) => f.kind === kind);
      const lines = failing.slice(0, 40).map((f) => `#${f.index} ${f.outcome} in ${f.phase}${f.where ? ` at ${f.where}` : ''}: ${f.message.slice(0, 160)} [${f.label.slice(0, 100)}] → ${reproduce(f.seed, f.index)}`);
      assert.equal(failing.length, 0, `${failing.length} failing ${kind} case(s):\n${lines.join('\n')}`);
    });
  }
});
