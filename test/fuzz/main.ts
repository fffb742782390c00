// `npm run fuzz -- [--cases 2000] [--seed 1] [--case N[,M]] [--kinds bomb,zip-dir] [--workers 2] [--keep DIR]`
// Runs the fuzz suite, prints the table and every failing case with its one-command reproduction, writes
// test-artifacts/fuzz/report.json, and exits 1 when any case was neither correct nor a clear error.
// --keep DIR also writes the files of the named cases (--case) to DIR, to open them by hand.

import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { KINDS, makeCase, type Kind } from './cases';
import { formatReport, runFuzz, writeReport } from './runner';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function num(name: string, fallback: number): number {
  const v = arg(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} takes a whole number, not "${v}"`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const seed = num('seed', 1);
  const cases = num('cases', 2000);
  const only = arg('case')?.split(',').map(Number);
  if (only?.some((n) => !Number.isInteger(n) || n < 0)) {
    console.error('--case takes case numbers, e.g. --case 17 or --case 17,40');
    process.exit(2);
  }
  const kinds = arg('kinds')?.split(',') as Kind[] | undefined;
  const unknown = kinds?.filter((k) => !KINDS.includes(k));
  if (unknown?.length) {
    console.error(`unknown kind(s) ${unknown.join(', ')}; kinds are ${KINDS.join(', ')}`);
    process.exit(2);
  }
  const keep = arg('keep');
  if (keep && only) {
    for (const i of only) {
      const c = makeCase(seed, i);
      const dir = path.resolve(keep, `case-${i}`);
      mkdirSync(dir, { recursive: true });
      for (const f of c.files) if (f.bytes) writeFileSync(path.join(dir, f.name), f.bytes);
      console.log(`case ${i} [${c.kind}] ${c.label}\n  files in ${dir}${c.files.some((f) => f.sparseSize) ? ' (the sparse padding is left out)' : ''}`);
    }
  }
  let last = 0;
  const report = await runFuzz({
    seed,
    cases,
    only,
    kinds,
    workers: num('workers', 2),
    onResult(r, done, total) {
      if (only) console.log(`case ${r.index} [${r.kind}] ${r.label}\n  ${r.outcome} in ${r.phase}${r.where ? ` at ${r.where}` : ''}: ${r.message}${r.detail ? ` (${r.detail})` : ''}  ${Math.round(r.ms)} ms wall, ${r.cpuMs} ms CPU, ${r.memMB} MB`);
      else if (process.stderr.isTTY && (done - last >= 50 || done === total)) {
        last = done;
        process.stderr.write(`\r${done}/${total}`);
      }
    },
  });
  if (!only && process.stderr.isTTY) process.stderr.write('\n');
  console.log(formatReport(report));
  console.log(`report: ${path.relative(process.cwd(), writeReport(report))}`);
  process.exitCode = report.failures.length ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
