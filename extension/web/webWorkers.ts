// Starting workers in the web extension host (vscode.dev, github.dev): Web Workers running dist/web/worker.js, which
// speaks the Node worker thread's protocol. `webWorkerFactory` is the RunSession's WorkerFactory (forwardRunner.ts's
// ForwardWorker); `webSummarize` reads a model's summary in a fresh worker, terminated on its time limit.
// No `vscode` and no Node: the page test (test/web/) runs this file in Chromium.

import type { ForwardWorker, WorkerFactory } from '../forwardRunner';
import type { WorkerIn, WorkerOut } from '../forwardWorker';
import type { SummaryIn, SummaryOut } from '../summaryWorker';

/** The part of a Web Worker used here (the project's TypeScript lib has no DOM types). */
export interface WebWorkerLike {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  terminate(): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  addEventListener(type: 'error' | 'messageerror', listener: (e: { message?: string }) => void): void;
}

/** Starts a Web Worker from a script URL (the extension's dist/web/worker.js). */
export type StartWebWorker = (scriptUrl: string) => WebWorkerLike;

export const startWebWorker: StartWebWorker = (scriptUrl) => {
  const WorkerClass = (globalThis as unknown as { Worker?: new (url: string) => WebWorkerLike }).Worker;
  if (!WorkerClass) throw new Error('This host cannot start Web Workers.');
  return new WorkerClass(scriptUrl);
};

const CRASHED = 'The forward pass stopped unexpectedly, perhaps out of memory; try a shorter T or fewer samples N, and report it if it persists.';

/** A RunSession's workers as Web Workers: the same messages as forwardRunner.ts's Node threads. */
export function webWorkerFactory(scriptUrl: string, start: StartWebWorker = startWebWorker): WorkerFactory {
  return (): ForwardWorker => {
    const worker = start(scriptUrl);
    return {
      post: (msg: WorkerIn, transfer: ArrayBuffer[] = []) => worker.postMessage(msg, transfer),
      terminate: () => worker.terminate(),
      onMessage: (listener) => worker.addEventListener('message', (e) => listener(e.data as WorkerOut)),
      onCrash: (listener) => {
        // What the worker threw (or why its script did not load) is for the log; the user gets one sentence.
        worker.addEventListener('error', (e) => listener(CRASHED, e.message));
        worker.addEventListener('messageerror', () => listener('The forward pass sent a message that could not be read; please report it.'));
      },
    };
  };
}

/** How long reading one file may take in the web worker before it is terminated (as summaryWorker.ts's threads). */
export const WEB_READ_TIME_LIMIT_MS = 30_000;

/** Reads one model's summary in a fresh Web Worker, which ends with the answer or at the time limit. */
export function webSummarize(
  scriptUrl: string,
  model: SummaryIn['model'],
  config?: SummaryIn['config'],
  opts: { start?: StartWebWorker; timeLimitMs?: number } = {},
): Promise<SummaryOut> {
  return new Promise((resolve) => {
    const worker = (opts.start ?? startWebWorker)(scriptUrl);
    let done = false;
    const finish = (out: SummaryOut) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      worker.terminate();
      resolve(out);
    };
    const failed = (message: string): SummaryOut => ({ type: 'error', message, expected: false, needsArchitecture: false });
    const timer = setTimeout(
      () => finish(failed(`Reading the model took more than ${Math.round((opts.timeLimitMs ?? WEB_READ_TIME_LIMIT_MS) / 1000)} s and was stopped; the file may be crafted to be slow.`)),
      opts.timeLimitMs ?? WEB_READ_TIME_LIMIT_MS,
    );
    worker.addEventListener('message', (e) => {
      const out = e.data as (SummaryOut & { id?: number }) | null;
      if (out && (out.type === 'summary' || out.type === 'error')) finish(out);
    });
    worker.addEventListener('error', (e) => finish(failed(`Reading the model stopped unexpectedly, perhaps out of memory (${e.message ?? 'no detail'}).`)));
    // Copied, not transferred: the host may keep the bytes for a run.
    worker.postMessage({ type: 'summarize', id: 1, model, ...(config ? { config } : {}) } satisfies SummaryIn);
  });
}
