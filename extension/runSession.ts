// A persistent run session: one forward-pass worker per inspector panel. The worker gets the model's bytes once and
// keeps the loaded document, so a run after the first (a live edit) costs only the pass itself. Cancelling terminates
// the worker at once; a cancelled or crashed worker is replaced lazily by the next run. Disposed with its panel.
// No `vscode`: the web build passes its own WorkerFactory (a Web Worker with the same protocol).

import { CancelledError } from './keras/errors';
import { RunFailure, transferables, type RunRequest } from './runJob';
import { MIN_RECYCLED_BYTES } from './keras/recycledBuffers';
import type { RunResult } from './protocol';
import type { ForwardWorker, RunHooks, WorkerFactory } from './forwardRunner';
import type { TraceWindowRequest, WorkerOut, WorkerRunRequest } from './forwardWorker';

/** The model part of a request, read by the host only when the worker does not hold it yet. */
export type ModelPart = Pick<RunRequest, 'model' | 'config'>;

export interface SessionRunHooks extends RunHooks {
  /** Names the model and its version (file, architecture, change count): the worker keeps the document read for it. */
  modelKey: string;
  /** Reads the model's bytes; called only when the request has none and the worker does not hold `modelKey`. */
  readModel?(): Promise<ModelPart>;
}

/** Wall-clock times (performance.timeOrigin + now()) of the last run inside the worker, for the live benchmark. */
export interface WorkerTiming {
  receivedAt: number;
  postedAt: number;
}

interface Pending {
  runId: number;
  resolve(r: RunResult): void;
  reject(e: unknown): void;
  onProgress?: RunHooks['onProgress'];
}

export class RunSession {
  private worker: ForwardWorker | undefined;
  /** The model key the current worker holds (or is loading), if any. */
  private held: string | undefined;
  private pending: Pending | undefined;
  private readonly windows = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private nextWindowId = 1;
  private disposed = false;
  /** Times of the last finished run inside the worker. */
  lastTiming: WorkerTiming | undefined;
  /** Bytes of the last run's arrays that reused buffers handed back with recycle() rather than fresh memory. */
  lastReusedBytes = 0;

  constructor(private readonly factory: WorkerFactory) {}

  /** True when the worker holds this model: a run may leave the bytes out. */
  holds(modelKey: string): boolean {
    return !!this.worker && this.held === modelKey;
  }

  get running(): boolean {
    return !!this.pending;
  }

  /** Runs one request on the session's worker. Rejects with RunFailure, or CancelledError when `signal` aborts. */
  async run(request: WorkerRunRequest, hooks: SessionRunHooks): Promise<RunResult> {
    if (this.disposed) throw new CancelledError();
    if (this.pending) throw new RunFailure('A forward pass is already running for this model; cancel it first.', 'input');
    if (hooks.signal?.aborted) throw new CancelledError();
    let toPost: WorkerRunRequest = request;
    let transfer: ArrayBuffer[] = [];
    if (this.holds(hooks.modelKey)) {
      // The worker has the document: the bytes stay here.
      const { model: _m, config: _c, ...rest } = request;
      toPost = rest;
    } else {
      const part: ModelPart | undefined = request.model ? { model: request.model, ...(request.config ? { config: request.config } : {}) } : await hooks.readModel?.();
      if (!part) throw new RunFailure('The forward pass has no model to run; reopen the model.', 'internal');
      if (hooks.signal?.aborted) throw new CancelledError();
      toPost = { ...request, ...part };
      // Bytes read for this run alone move to the worker; bytes the caller passed in are copied (it may keep them).
      if (!request.model) transfer = wholeBuffer(part.model.bytes);
    }
    const worker = this.ensureWorker();
    return new Promise<RunResult>((resolve, reject) => {
      const onAbort = () => {
        if (this.pending?.runId !== request.runId) return;
        this.pending = undefined;
        // Whatever loop the worker is in, it ends now; the next run starts a fresh one.
        this.drop();
        reject(new CancelledError());
      };
      hooks.signal?.addEventListener('abort', onAbort, { once: true });
      const done = <T>(fn: (v: T) => void) => (v: T) => {
        hooks.signal?.removeEventListener('abort', onAbort);
        fn(v);
      };
      this.pending = { runId: request.runId, resolve: done(resolve), reject: done(reject), ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}) };
      this.held = hooks.modelKey;
      worker.post({ type: 'run', request: toPost, modelKey: hooks.modelKey }, transfer);
    });
  }

  /** Asks the worker for a window of the run it keeps (the stream helper's trace windows). */
  window(request: TraceWindowRequest): Promise<unknown> {
    if (this.disposed || !this.worker) return Promise.reject(new RunFailure('That run is no longer kept; run the forward pass again.', 'input'));
    const id = this.nextWindowId++;
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      this.windows.set(id, { resolve, reject });
      worker.post({ type: 'window', id, request });
    });
  }

  /**
   * Hands a finished run's output and trace buffers back to the worker, which lends them to the next runs' arrays
   * (keras/recycledBuffers.ts). They are transferred: every view of them here becomes empty, so call it only for a
   * run nothing reads any more. Its inputs and final states (kept for a stateful continue) stay.
   */
  recycle(result: RunResult): void {
    if (this.disposed || !this.worker) return;
    const buffers = recyclableBuffers(result);
    if (!buffers.length) return;
    try {
      this.worker.post({ type: 'recycle', buffers }, buffers);
    } catch {
      // Reuse is only an optimization: a buffer that cannot move is left to the garbage collector.
    }
  }

  /** Ends the worker; later runs are refused. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const p = this.pending;
    this.pending = undefined;
    this.drop();
    p?.reject(new CancelledError());
  }

  private ensureWorker(): ForwardWorker {
    if (this.worker) return this.worker;
    const worker = this.factory();
    this.worker = worker;
    worker.onMessage((m) => {
      if (this.worker === worker) this.onMessage(m);
    });
    worker.onCrash((message, detail) => {
      if (this.worker !== worker) return;
      // One sentence for the run in flight; the next run starts a new worker.
      const p = this.pending;
      this.pending = undefined;
      this.drop();
      p?.reject(new RunFailure(message, 'internal', detail));
    });
    return worker;
  }

  private onMessage(m: WorkerOut): void {
    switch (m.type) {
      case 'progress':
        if (this.pending?.runId === m.runId) this.pending.onProgress?.(m.done, m.total, m.layer);
        return;
      case 'result': {
        const p = this.pending;
        if (!p || p.runId !== m.result.runId) return;
        this.pending = undefined;
        this.lastTiming = { receivedAt: m.receivedAt, postedAt: m.postedAt };
        this.lastReusedBytes = m.reusedBytes ?? 0;
        p.resolve(m.result);
        return;
      }
      case 'error': {
        const p = this.pending;
        if (!p || p.runId !== m.runId) return;
        this.pending = undefined;
        // The worker may not have kept the model (a file it could not read): the next run sends the bytes again.
        this.held = undefined;
        p.reject(new RunFailure(m.message, m.kind, m.detail));
        return;
      }
      case 'window':
      case 'windowError': {
        const w = this.windows.get(m.id);
        if (!w) return;
        this.windows.delete(m.id);
        if (m.type === 'window') w.resolve(m.value);
        else w.reject(new RunFailure(m.message, 'input'));
        return;
      }
    }
  }

  /** Terminates the worker and forgets what it held; window requests in flight get a sentence. */
  private drop(): void {
    const w = this.worker;
    this.worker = undefined;
    this.held = undefined;
    if (w) {
      w.post({ type: 'dispose' });
      w.terminate();
    }
    for (const [, p] of this.windows) p.reject(new RunFailure('That run is no longer kept; run the forward pass again.', 'input'));
    this.windows.clear();
  }
}

/** The whole buffers of a run's layer outputs and traces worth reusing, less any its inputs or final states share. */
export function recyclableBuffers(result: RunResult): ArrayBuffer[] {
  const kept = new Set(transferables([result.inputs, result.finalStates ?? [], result.recurrentWeights]));
  return transferables([result.outputs, result.layers, result.traces]).filter((b) => !kept.has(b) && b.byteLength >= MIN_RECYCLED_BYTES);
}

/** The buffer of `bytes` when the view covers all of it (then it can be transferred), else nothing. */
function wholeBuffer(bytes: Uint8Array): ArrayBuffer[] {
  const b = bytes.buffer;
  return b instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === b.byteLength ? [b] : [];
}
