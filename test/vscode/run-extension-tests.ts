// Runs the mocha extension tests inside the real VS Code (code-server 4.100.3) offline: starts code-server,
// opens the workbench in headless Chromium with the dev extension and out/test/index.js in the URL's payload,
// prints the extension host's log, and exits with the suite's code (0 pass, 1 fail, 124 timeout, 2 harness error).
//
//   node --import tsx test/vscode/run-extension-tests.ts [--ext DIR] [--tests FILE] [--workspace DIR]
//        [--results FILE] [--timeout MS] [--grep PATTERN]
// --ext       extension development path (default: the repo root)
// --tests     compiled mocha entry (default: out/test/index.js; build with scripts/build-tests.mjs)
// --workspace folder to open (default: a temp copy of media/samples and some ../shared models)
// --results   write {passes, failures, pending, failed[]} as JSON here
// --timeout   overall limit in ms (default 300000, or KRI_EXT_TEST_TIMEOUT_MS)
// --grep      only tests whose full title matches (passed to mocha)

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import { devPayload, launchBrowser, makeWorkspace, missingPrerequisite, repoRoot, startCodeServer, tail, workbenchUrl } from './harness';

const RESULTS_MARK = '@@kri-results ';
// Workbench chatter that says nothing about the tests.
const NOISE = /^(Resolving|Resolved|Creating a socket|Updating additional|Ignoring fetching additional|\[Service Worker\]|Started local extension host|Extension host agent|\[perf\])/;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const missing = missingPrerequisite();
  if (missing) { console.error(missing); return 2; }
  const ext = path.resolve(arg('ext') ?? repoRoot);
  const tests = path.resolve(arg('tests') ?? path.join(repoRoot, 'out/test/index.js'));
  const resultsFile = arg('results') ? path.resolve(arg('results')!) : undefined;
  const timeoutMs = Number(arg('timeout') ?? process.env.KRI_EXT_TEST_TIMEOUT_MS ?? 300_000);
  if (!fs.existsSync(tests)) { console.error(`no compiled tests at ${tests}: run node scripts/build-tests.mjs`); return 2; }
  if (!fs.existsSync(path.join(ext, 'package.json'))) { console.error(`no extension at ${ext}`); return 2; }

  const ws = arg('workspace') ? undefined : makeWorkspace();
  const workspace = arg('workspace') ? path.resolve(arg('workspace')!) : ws!.dir;
  const env: Record<string, string> = {};
  const grep = arg('grep');
  if (grep) env.KRI_MOCHA_GREP = grep;
  // The extension host inherits the server's environment: suites find the workspace and shared files through it.
  env.KRI_TEST_WORKSPACE = workspace;
  const started = Date.now();
  const cs = await startCodeServer({ workspace, env });
  let code = 1;
  let results: unknown;
  try {
    const browser = await launchBrowser();
    try {
      let finish!: (c: number | 'timeout') => void;
      const exited = new Promise<number | 'timeout'>((r) => (finish = r));
      await browser.page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
        const line = util.format(...(args ?? []));
        if (line.startsWith(RESULTS_MARK)) {
          try { results = JSON.parse(line.slice(RESULTS_MARK.length)); } catch { /* keep the earlier one */ }
          return;
        }
        if (!NOISE.test(line)) console.log(line);
      });
      await browser.page.exposeFunction('codeAutomationExit', (c: number) => finish(Number(c)));
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      await browser.page.goto(workbenchUrl(cs.base, workspace, devPayload(cs, ext, tests)), { timeout: 120_000, waitUntil: 'domcontentloaded' });
      const c = await exited;
      clearTimeout(timer);
      if (c === 'timeout') {
        code = 124;
        console.error(`extension tests timed out after ${timeoutMs} ms; code-server log ${cs.logFile}:\n${tail(cs.logFile)}`);
      } else {
        code = c;
      }
    } finally {
      await browser.close();
    }
  } finally {
    await cs.stop();
    if (code === 0) fs.rmSync(cs.root, { recursive: true, force: true });
    ws?.remove();
  }
  if (!results && code !== 0) {
    // The suites never reported: count the whole run as one failure so it is not lost.
    results = { passes: 0, failures: 1, pending: 0, failed: [{ title: 'extension test run', error: `exit ${code} before mocha reported` }] };
  }
  if (resultsFile && results) fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2));
  const r = results as { passes: number; failures: number; pending: number } | undefined;
  console.log(`extension tests: exit ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s` +
    (r ? ` (${r.passes} passed, ${r.failures} failed, ${r.pending} pending)` : ''));
  return code;
}

main().then((c) => process.exit(c), (e) => { console.error(e); process.exit(2); });
