// Checks a packaged .vsix (a zip): what is inside, and the size limits of issue 10. Prints every entry with its
// size as stored (compressed) and uncompressed, then the code totals, and exits 1 above a limit or when something
// that must (not) be inside is wrong.
//
//   node scripts/check-vsix.mjs [keras-rnn-inspector.vsix] [--json]
//
// Limits: the code (.js/.css/.html entries) as stored in the .vsix ≤ 700 KB; the whole .vsix ≤ 2.5 MB.

import { readFileSync, statSync } from 'node:fs';
import { unzipSync } from 'fflate';

export const CODE_LIMIT_BYTES = 700 * 1024;
export const VSIX_LIMIT_BYTES = 2.5 * 1024 * 1024;
const CODE = /\.(js|cjs|mjs|css|html)$/i;
/** What the extension needs at run time (the manifest's main, the worker, the webview). */
const REQUIRED = ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/worker.js', 'extension/dist/webview.js'];
/** What must never ship: maps, sources, tests, the CLI, dependencies (everything is bundled). */
const FORBIDDEN = [/\.map$/, /\.tsx?$/, /^extension\/(test|scripts|bench|webview|node_modules|\.cache|test-artifacts)\//, /^extension\/dist\/cli\.js$/, /^extension\/extension\//];

/** The entries of a zip with stored and original sizes (the central directory, read by fflate). */
export function vsixEntries(bytes) {
  const entries = [];
  unzipSync(bytes, {
    filter: (f) => {
      entries.push({ name: f.name, stored: f.size, size: f.originalSize });
      return false;
    },
  });
  return entries;
}

/** The report and the problems found; `vsixBytes` is the file's size. */
export function checkVsix(entries, vsixBytes) {
  const code = entries.filter((e) => CODE.test(e.name));
  const codeStored = code.reduce((s, e) => s + e.stored, 0);
  const codeSize = code.reduce((s, e) => s + e.size, 0);
  const problems = [];
  const names = new Set(entries.map((e) => e.name));
  for (const r of REQUIRED) if (!names.has(r)) problems.push(`${r} is missing`);
  for (const e of entries) if (FORBIDDEN.some((re) => re.test(e.name))) problems.push(`${e.name} must not be packaged`);
  if (codeStored > CODE_LIMIT_BYTES) problems.push(`code as stored is ${kb(codeStored)}, above the ${kb(CODE_LIMIT_BYTES)} limit`);
  if (vsixBytes > VSIX_LIMIT_BYTES) problems.push(`the .vsix is ${kb(vsixBytes)}, above the ${kb(VSIX_LIMIT_BYTES)} limit`);
  return { code, codeStored, codeSize, vsixBytes, problems };
}

export const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const file = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'keras-rnn-inspector.vsix';
  const bytes = readFileSync(file);
  const entries = vsixEntries(bytes);
  const r = checkVsix(entries, statSync(file).size);
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ entries, codeStored: r.codeStored, codeSize: r.codeSize, vsixBytes: r.vsixBytes, problems: r.problems }, null, 2));
  } else {
    const w = Math.max(...entries.map((e) => e.name.length));
    console.log(`${'entry'.padEnd(w)}  ${'stored'.padStart(10)}  ${'size'.padStart(10)}`);
    for (const e of [...entries].sort((a, b) => b.stored - a.stored)) console.log(`${e.name.padEnd(w)}  ${kb(e.stored).padStart(10)}  ${kb(e.size).padStart(10)}`);
    console.log(`\ncode (${r.code.length} files): ${kb(r.codeStored)} stored in the .vsix (limit ${kb(CODE_LIMIT_BYTES)}), ${kb(r.codeSize)} uncompressed`);
    console.log(`whole .vsix: ${kb(r.vsixBytes)} (limit ${kb(VSIX_LIMIT_BYTES)})`);
    for (const p of r.problems) console.error(`FAIL: ${p}`);
    if (!r.problems.length) console.log('ok');
  }
  process.exit(r.problems.length ? 1 : 0);
}
