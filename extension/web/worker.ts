// The web build's Web Worker (dist/web/worker.js): forward passes and model summaries off the web extension host's
// thread, speaking the same messages as the Node worker thread (forwardWorker.ts: run, window, recycle, dispose; summaryWorker.ts:
// summarize). Its handlers are those modules' own; only the transport differs (postMessage on the worker's global).

import { createForwardHandler, type WorkerIn, type WorkerOut } from '../forwardWorker';
import { summarizeFile, type SummaryIn } from '../summaryWorker';

/** The part of a dedicated worker's global scope used here (the project's TypeScript lib has no DOM types). */
interface WorkerScope {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const post = (m: WorkerOut | Record<string, unknown>, transfer: ArrayBuffer[] = []) => scope.postMessage(m, transfer);
const forward = createForwardHandler(post);

scope.addEventListener('message', (e) => {
  const msg = e.data as WorkerIn | SummaryIn | { type?: unknown } | null;
  if (!msg || typeof msg !== 'object') return;
  if (msg.type === 'run' || msg.type === 'window' || msg.type === 'recycle' || msg.type === 'dispose') forward(msg as WorkerIn);
  else if (msg.type === 'summarize') {
    const s = msg as SummaryIn;
    void summarizeFile(s.model, s.config).then((out) => post({ ...out, id: s.id }));
  }
});
