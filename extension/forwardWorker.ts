// The worker that runs forward passes, so long runs never block the extension host. One per inspector panel
// (runSession.ts): it reads the model's bytes once, keeps the loaded document, and runs each request on it.
// Protocol (the web build's Web Worker speaks the same one; these types are its only definition):
//   in:  run (a RunRequest; its model bytes only when the worker does not hold `modelKey` yet), window, recycle
//        (buffers of a run the host is done with, transferred back for the next runs' arrays), dispose
//   out: progress* then result or error for a run; window or windowError for a window.
// Cancel = the host terminates this worker; the session starts a fresh one for the next run.

import { parentPort } from 'node:worker_threads';
import { executeRun, loadRequestModel, transferables, classify, RunFailure, type RunRequest, type RunErrorKind } from './runJob';
import { budgetBytes } from './keras/limits';
import type { ModelDocument } from './keras/model';
import type { RunResult } from './protocol';
import { streamedTraceKeeper } from './traceKeeper';
import { giveBack, letGo, recycledStats } from './keras/recycledBuffers';

/** A request as posted to the worker: the model's bytes (and config) are left out once the worker holds its model. */
export type WorkerRunRequest = Omit<RunRequest, 'model' | 'config'> & Partial<Pick<RunRequest, 'model' | 'config'>>;

/**
 * The stream helper's trace window request (extension/keras/traceStore.ts): which layer, sample, quantity, steps and
 * units of the kept run the page shows. Opaque here: the keeper below reads it.
 */
export type TraceWindowRequest = { runId: number } & Record<string, unknown>;

/** What a window answer carries: any structured-cloneable value, and the buffers to transfer with it. */
export interface TraceWindowAnswer {
  value: unknown;
  transfer?: ArrayBuffer[];
}

/**
 * The hook for streamed traces: `keep` sees each finished run before it is posted (and may take what the worker keeps
 * out of the posted result); `window` answers a window request from what was kept. Set with setTraceKeeper.
 */
export interface TraceKeeper<K = unknown> {
  keep(result: RunResult): K;
  window(kept: K, request: TraceWindowRequest): TraceWindowAnswer;
}

export type WorkerIn =
  | { type: 'run'; request: WorkerRunRequest; /** Names the model: the worker keeps the document read for it. */ modelKey?: string }
  | { type: 'window'; id: number; request: TraceWindowRequest }
  | { type: 'recycle'; /** Transferred: the host holds no view of them any more. */ buffers: ArrayBuffer[] }
  | { type: 'dispose' };

export type WorkerOut =
  | { type: 'progress'; runId: number; done: number; total: number; layer: string }
  | {
      type: 'result';
      result: RunResult;
      /** performance.timeOrigin + now() when the worker got the request and when it posted the result. */
      receivedAt: number;
      postedAt: number;
      /** Bytes of this run's arrays that went on buffers handed back by the host rather than fresh memory. */
      reusedBytes: number;
    }
  | { type: 'error'; runId: number; message: string; kind: RunErrorKind; detail?: string }
  | { type: 'window'; id: number; value: unknown }
  | { type: 'windowError'; id: number; message: string };

export type PostOut = (m: WorkerOut, transfer?: ArrayBuffer[]) => void;

/** A wall-clock time in ms with sub-ms resolution, comparable across the host, its workers and the webview. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

let keeper: TraceKeeper | undefined;

/** Installs the streamed-trace keeper (traceStore.ts); without one, `window` answers that no trace is kept. */
export function setTraceKeeper<K>(k: TraceKeeper<K> | undefined): void {
  keeper = k as TraceKeeper | undefined;
}

/** The message handler of one worker: a Node worker thread below, the web build's Web Worker with its own `post`. */
export function createForwardHandler(post: PostOut): (msg: WorkerIn) => void {
  let held: { key: string; doc: ModelDocument } | undefined;
  let kept: { runId: number; value: unknown } | undefined;
  // One run at a time, in order: the session never overlaps runs, but a window may arrive while one runs.
  let chain: Promise<void> = Promise.resolve();

  const run = async (request: WorkerRunRequest, modelKey: string | undefined, receivedAt: number): Promise<void> => {
    try {
      let doc: ModelDocument;
      if (request.model) {
        const budget = request.memoryLimitMB !== undefined ? budgetBytes(request.memoryLimitMB) : undefined;
        held = undefined;
        doc = await loadRequestModel({ model: request.model, ...(request.config ? { config: request.config } : {}) }, budget);
        if (modelKey !== undefined) held = { key: modelKey, doc };
      } else if (held && held.key === modelKey) doc = held.doc;
      else throw new RunFailure('The forward pass lost its model; run again.', 'internal', `worker holds ${held?.key ?? 'no model'}, asked for ${modelKey}`);
      const full: RunRequest = { ...request, model: request.model ?? { name: '', bytes: new Uint8Array(0) } };
      const reusedBefore = recycledStats().reusedBytes;
      const result = await executeRun(full, { document: doc, onProgress: (done, total, layer) => post({ type: 'progress', runId: request.runId, done, total, layer }) });
      kept = keeper ? { runId: result.runId, value: keeper.keep(result) } : undefined;
      // The step weights may share buffers with the held document's weights: they are copied, everything else moves.
      const own = new Set(transferables(result.recurrentWeights));
      const transfer = held ? transferables({ ...result, recurrentWeights: [] }).filter((b) => !own.has(b)) : transferables(result);
      post({ type: 'result', result, receivedAt, postedAt: wallNow(), reusedBytes: recycledStats().reusedBytes - reusedBefore }, transfer);
    } catch (e) {
      const f = classify(e);
      post({ type: 'error', runId: request.runId, message: f.message, kind: f.kind, ...(f.detail !== undefined ? { detail: f.detail } : {}) });
    }
  };

  const window = (id: number, request: TraceWindowRequest): void => {
    try {
      if (!keeper || !kept || kept.runId !== request.runId) {
        post({ type: 'windowError', id, message: 'That run is no longer kept; run the forward pass again.' });
        return;
      }
      const answer = keeper.window(kept.value, request);
      post({ type: 'window', id, value: answer.value }, answer.transfer ?? []);
    } catch (e) {
      post({ type: 'windowError', id, message: classify(e).message });
    }
  };

  return (msg: WorkerIn) => {
    if (!msg || typeof msg !== 'object') return;
    switch (msg.type) {
      case 'run': {
        const receivedAt = wallNow();
        chain = chain.then(() => run(msg.request, msg.modelKey, receivedAt));
        return;
      }
      case 'window':
        window(msg.id, msg.request);
        return;
      case 'recycle':
        if (Array.isArray(msg.buffers)) giveBack(msg.buffers);
        return;
      case 'dispose':
        held = undefined;
        kept = undefined;
        letGo();
        return;
    }
  };
}

// Streamed traces (traceStore.ts): the worker keeps the last run's store and answers the page's windows from it.
setTraceKeeper(streamedTraceKeeper);

const port = parentPort;
if (port) {
  const handle = createForwardHandler((m, transfer = []) => port.postMessage(m, transfer));
  // The same thread also serves model reading (summaryWorker.ts): each module answers only its own message types.
  port.on('message', (msg: WorkerIn | { type?: unknown }) => {
    if (msg && (msg.type === 'run' || msg.type === 'window' || msg.type === 'recycle' || msg.type === 'dispose')) handle(msg as WorkerIn);
  });
}
