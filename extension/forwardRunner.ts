// Starts forward-pass workers (forwardWorker.ts) and runs one-shot jobs in them. The worker-starting code sits behind
// a small factory so the web build can hand runSession.ts a Web Worker speaking the same protocol.
// Cancelling terminates the worker at once, whatever loop it is in.

import { Worker } from 'node:worker_threads';
import { CancelledError } from './keras/errors';
import { RunFailure, type RunRequest } from './runJob';
import type { RunResult } from './protocol';
import type { WorkerIn, WorkerOut } from './forwardWorker';

export interface RunHooks {
  signal?: AbortSignal;
  onProgress?(done: number, total: number, layer: string): void;
}

export interface WorkerOptions {
  /** Absolute path of the worker script (dist/worker.js in the extension). */
  workerPath: string;
  /** Extra Node flags for the worker (unit tests run the TypeScript source through tsx). */
  execArgv?: string[];
}

/** A started worker as the session sees it: a Node worker thread or a Web Worker. */
export interface ForwardWorker {
  post(msg: WorkerIn, transfer?: ArrayBuffer[]): void;
  terminate(): void;
  /** Every message the worker posts. */
  onMessage(listener: (m: WorkerOut) => void): void;
  /** The worker died (an uncaught error, out of memory, an exit): one sentence for the user, the detail for the log. */
  onCrash(listener: (message: string, detail?: string) => void): void;
}

/** Starts a fresh worker; the session calls it lazily for the first run and after a cancel or a crash. */
export type WorkerFactory = () => ForwardWorker;

const CRASHED = 'The forward pass stopped unexpectedly, perhaps out of memory; try a shorter T or fewer samples N, and report it if it persists.';

/** Node worker threads running `opts.workerPath`. */
export function nodeWorkerFactory(opts: WorkerOptions): WorkerFactory {
  return () => {
    const worker = new Worker(opts.workerPath, { execArgv: opts.execArgv ?? [] });
    let terminated = false;
    return {
      post: (msg, transfer = []) => worker.postMessage(msg, transfer),
      terminate: () => {
        terminated = true;
        void worker.terminate();
      },
      onMessage: (listener) => void worker.on('message', listener),
      onCrash: (listener) => {
        // What the worker threw is for the log; the user gets one sentence.
        worker.on('error', (e) => listener(CRASHED, e.message));
        worker.on('exit', (code) => {
          if (!terminated) listener(`The forward pass stopped unexpectedly (its worker exited with code ${code}); please report it.`);
        });
      },
    };
  };
}

/** Runs one request in a fresh worker that ends with it. Rejects with RunFailure, or CancelledError when `signal` aborts. */
export function runInWorker(opts: WorkerOptions | WorkerFactory, request: RunRequest, hooks: RunHooks = {}): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    if (hooks.signal?.aborted) {
      reject(new CancelledError());
      return;
    }
    const worker = (typeof opts === 'function' ? opts : nodeWorkerFactory(opts))();
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      fn();
      worker.terminate();
    };
    const onAbort = () => finish(() => reject(new CancelledError()));
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    worker.onMessage((m) => {
      if (m.type === 'progress') hooks.onProgress?.(m.done, m.total, m.layer);
      else if (m.type === 'result') finish(() => resolve(m.result));
      else if (m.type === 'error') finish(() => reject(new RunFailure(m.message, m.kind, m.detail)));
    });
    worker.onCrash((message, detail) => finish(() => reject(new RunFailure(message, 'internal', detail))));
    // Copied, not transferred: the caller may run the same bytes again.
    worker.post({ type: 'run', request });
  });
}
