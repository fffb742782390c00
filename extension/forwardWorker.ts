// The worker thread that runs a forward pass, so long runs never block the extension host.
// Protocol with forwardRunner.ts: one `run` message in; `progress`* then `result` or `error` out.
// Cancel = the runner terminates this thread.

import { parentPort } from 'node:worker_threads';
import { executeRun, transferables, classify, type RunRequest } from './runJob';
import type { RunResult } from './protocol';

export type WorkerIn = { type: 'run'; request: RunRequest };
export type WorkerOut =
  | { type: 'progress'; done: number; total: number; layer: string }
  | { type: 'result'; result: RunResult }
  | { type: 'error'; message: string; kind: 'input' | 'unsupported' | 'file' | 'internal'; detail?: string };

const port = parentPort;
if (port) {
  port.on('message', (msg: WorkerIn) => {
    if (msg?.type !== 'run') return;
    const post = (m: WorkerOut, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
    executeRun(msg.request, { onProgress: (done, total, layer) => post({ type: 'progress', done, total, layer }) }).then(
      (result) => post({ type: 'result', result }, transferables(result)),
      (e) => {
        const f = classify(e);
        post({ type: 'error', message: f.message, kind: f.kind, ...(f.detail !== undefined ? { detail: f.detail } : {}) });
      },
    );
  });
}
