// The page test/web/browser.test.ts opens in headless Chromium: it drives the web build's Web Worker
// (dist/web/worker.js) exactly as the web extension host does, through webWorkers.ts and the RunSession, on bytes
// fetched from the test's localhost server. Bundled for the browser by the test; no Node here.

import { RunSession } from '../../extension/runSession';
import { webSummarize, webWorkerFactory } from '../../extension/web/webWorkers';

const WORKER = '/dist/web/worker.js';

async function bytesOf(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function configOf(url: string | undefined): Promise<{ name: string; text: string } | undefined> {
  return url ? { name: url.split('/').pop() ?? 'config.json', text: new TextDecoder().decode(await bytesOf(url)) } : undefined;
}

const api = {
  /** What the host's reading worker answers for the model at `url` (its summary, or one sentence). */
  async summarize(url: string, configUrl?: string) {
    const out = await webSummarize(WORKER, { name: url.split('/').pop() ?? 'model', bytes: await bytesOf(url) }, await configOf(configUrl));
    if (out.type === 'error') return { error: out.message };
    return { totalParams: out.summary.totalParams, layers: out.summary.layers.map((l) => ({ name: l.name, className: l.className, params: l.params })), inputs: out.inputs.length };
  },
  /** Two runs in one RunSession (the second reuses the model the worker holds): outputs as plain arrays. */
  async run(url: string, inputText: string, configUrl?: string) {
    const session = new RunSession(webWorkerFactory(WORKER));
    try {
      const model = { name: url.split('/').pop() ?? 'model', bytes: await bytesOf(url) };
      const config = await configOf(configUrl);
      const first = await session.run({ runId: 1, model, ...(config ? { config } : {}), input: { kind: 'text', text: inputText } }, { modelKey: url });
      const held = session.holds(url);
      const second = await session.run({ runId: 2, input: { kind: 'text', text: inputText } }, { modelKey: url });
      return {
        outputs: first.outputs.map((t) => ({ shape: t.shape, data: Array.from(t.data) })),
        again: second.outputs.map((t) => Array.from(t.data)),
        traces: first.traces.length,
        held,
        stopped: first.stopped ?? null,
      };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    } finally {
      session.dispose();
    }
  },
  /** A bad file through the same path: one sentence back, never a crash. */
  async runBytes(bytes: number[], name: string) {
    const session = new RunSession(webWorkerFactory(WORKER));
    try {
      await session.run({ runId: 1, model: { name, bytes: new Uint8Array(bytes) }, input: { kind: 'zeros' } }, { modelKey: name });
      return { error: null };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    } finally {
      session.dispose();
    }
  },
  /** Whether this page (and so the worker's global) has Node's objects: it must not. */
  nodeGlobals: () => ['process', 'require', 'Buffer'].filter((k) => k in globalThis),
};

(globalThis as unknown as { kri: typeof api }).kri = api;
