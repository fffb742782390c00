// Runs forward passes in a worker thread (dist/forwardWorker.js): the extension host only waits for
// messages. Cancelling terminates the worker at once, whatever loop it is in.

import { Worker } from 'node:worker_threads';
import { CancelledError } from './keras/errors';
import { RunFailure, requestTransfer, type RunRequest } from './runJob';
import type { RunResult } from './protocol';
import type { WorkerIn, WorkerOut } from './forwardWorker';

export interface RunHooks {
  signal?: AbortSignal;
  onProgress?(done: number, total: number, layer: string): void;
}

export interface WorkerOptions {
  /** Absolute path of the worker script (dist/forwardWorker.js in the extension). */
  workerPath: string;
  /** Extra Node flags for the worker (unit tests run the TypeScript source through tsx). */
  execArgv?: string[];
}

/** Runs one request in a fresh worker. Rejects with RunFailure, or CancelledError when `signal` aborts. */
export function runInWorker(opts: WorkerOptions, request: RunRequest, hooks: RunHooks = {}): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    if (hooks.signal?.aborted) {
      reject(new CancelledError());
      return;
    }
    const worker = new Worker(opts.workerPath, { execArgv: opts.execArgv ?? [] });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(new CancelledError()));
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: WorkerOut) => {
      if (m.type === 'progress') hooks.onProgress?.(m.done, m.total, m.layer);
      else if (m.type === 'result') finish(() => resolve(m.result));
      else if (m.type === 'error') finish(() => reject(new RunFailure(m.message, m.kind, m.detail)));
    });
    // What the worker threw is for the log; the user gets one sentence (a worker out of memory ends up here too).
    worker.on('error', (e) => finish(() => reject(new RunFailure('The forward pass stopped unexpectedly, perhaps out of memory; try a shorter T or fewer samples N, and report it if it persists.', 'internal', e.message))));
    worker.on('exit', (code) => finish(() => reject(new RunFailure(`The forward pass stopped unexpectedly (its worker exited with code ${code}); please report it.`, 'internal'))));
    worker.postMessage({ type: 'run', request } satisfies WorkerIn, requestTransfer(request));
  });
}
