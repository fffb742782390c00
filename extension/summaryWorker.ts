// The worker thread that reads a model file for the extension host: parse, summarize and compute the input specs
// of an untrusted file here, so a file that claims 10^5 layers or nests deep costs this thread time and memory,
// never the extension host's. Protocol with models.ts (ReadWorkers): `summarize` with an id in, one `summary` or
// `error` with that id out; the host terminates the thread on its time or heap limit, or when it has been idle.

import { Worker, parentPort } from 'node:worker_threads';
import { loadModelFromSource } from './keras/document';
import { memorySource } from './keras/container/bytes';
import { summarize, type ModelSummary } from './keras/summary';
import { inputSpecs, type InputSpec } from './keras/inputs';
import { InspectorError, MissingArchitectureError, describeThrown, oneSentence } from './keras/errors';
import { showName } from './keras/safeText';

/** The model's name and bytes, and a weights-only file's architecture JSON, all read by the host (workspace.fs). */
export type SummaryIn = { type: 'summarize'; id: number; model: { name: string; bytes: Uint8Array }; config?: { name: string; text: string } };
export type SummaryOut =
  | { type: 'summary'; summary: ModelSummary; inputs: InputSpec[]; notExecutable?: string }
  | { type: 'error'; message: string; expected: boolean; needsArchitecture: boolean };

/** Reads one file to what the host shows (also used in-process when no worker bundle exists, e.g. unit tests). */
export async function summarizeFile(model: SummaryIn['model'], config?: SummaryIn['config']): Promise<SummaryOut> {
  try {
    const doc = await loadModelFromSource(memorySource(model.bytes, model.name), config ? { config } : {});
    const summary = summarize(doc);
    const inputs = inputSpecs(doc);
    return { type: 'summary', summary, inputs, ...(doc.notExecutable ? { notExecutable: doc.notExecutable } : {}) };
  } catch (e) {
    const expected = e instanceof InspectorError;
    const name = showName(model.name);
    const message = expected ? describeThrown(e) : `${name} could not be read as a Keras model: ${describeThrown(e)}`;
    return { type: 'error', message: oneSentence(message), expected, needsArchitecture: e instanceof MissingArchitectureError };
  }
}

/** How long the reading worker may take for one file, and the heap it may use. */
export const READ_TIME_LIMIT_MS = 30_000;
export const READ_HEAP_LIMIT_MB = 1024;

/** A worker kept after an answer is reused for the next file for this long, then terminated (its heap freed). */
const IDLE_WORKER_MS = 20_000;

/**
 * Reads files in worker threads. One idle worker is kept warm for the next file (starting a thread and loading the
 * reader costs a few hundred ms); a busy one is never shared, so a slow hostile file delays no other file. A worker
 * that times out, runs out of heap or fails is terminated at once.
 */
export class ReadWorkers {
  private idle?: { worker: Worker; timer: NodeJS.Timeout };
  private readonly busy = new Set<Worker>();
  private nextId = 1;

  constructor(
    private readonly workerPath: string,
    private readonly timeLimitMs = READ_TIME_LIMIT_MS,
    private readonly idleMs = IDLE_WORKER_MS,
  ) {}

  private acquire(): Worker {
    if (this.idle) {
      const { worker, timer } = this.idle;
      this.idle = undefined;
      clearTimeout(timer);
      worker.ref();
      return worker;
    }
    return new Worker(this.workerPath, { resourceLimits: { maxOldGenerationSizeMb: READ_HEAP_LIMIT_MB } });
  }

  private release(worker: Worker): void {
    this.busy.delete(worker);
    if (this.idle) {
      void worker.terminate();
      return;
    }
    const timer = setTimeout(() => {
      if (this.idle?.worker === worker) this.idle = undefined;
      void worker.terminate();
    }, this.idleMs);
    timer.unref?.();
    // An idle thread never keeps the process alive.
    worker.unref();
    this.idle = { worker, timer };
  }

  /** Reads one file's bytes, transferred to the worker (the caller's view is detached); always resolves (an error is a SummaryOut with one sentence). */
  read(model: SummaryIn['model'], config?: SummaryIn['config']): Promise<SummaryOut> {
    const name = showName(model.name);
    const id = this.nextId++;
    const worker = this.acquire();
    this.busy.add(worker);
    return new Promise((resolve) => {
      let settled = false;
      const detach = () => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const done = (out: SummaryOut, keep: boolean) => {
        if (settled) return;
        settled = true;
        detach();
        if (keep) this.release(worker);
        else {
          this.busy.delete(worker);
          worker.on('error', () => undefined);
          void worker.terminate();
        }
        resolve(out);
      };
      const fail = (message: string) => done({ type: 'error', message: oneSentence(message), expected: true, needsArchitecture: false }, false);
      const onMessage = (m: SummaryOut & { id?: number }) => {
        if (m.id !== id) return;
        const { id: _id, ...out } = m;
        done(out as SummaryOut, true);
      };
      const onError = (e: Error & { code?: string }) =>
        fail(e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `Reading ${name} needed more than ${READ_HEAP_LIMIT_MB} MB, far beyond what its layers need: the file is damaged or crafted.`
          : `Reading ${name} failed: ${describeThrown(e)}.`);
      const onExit = (code: number) => fail(`Reading ${name} stopped unexpectedly (exit code ${code}).`);
      const timer = setTimeout(() => fail(`Reading ${name} took longer than ${this.timeLimitMs / 1000} s, far beyond any real model: the file is damaged or crafted.`), this.timeLimitMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      const buf = model.bytes.buffer;
      // Transfer, not copy, when the view is its whole buffer (a model can be hundreds of MB).
      const transfer = buf instanceof ArrayBuffer && model.bytes.byteOffset === 0 && model.bytes.byteLength === buf.byteLength ? [buf] : [];
      worker.postMessage({ type: 'summarize', id, model, ...(config ? { config } : {}) } satisfies SummaryIn, transfer);
    });
  }

  /** Terminates every worker (the extension deactivates). */
  dispose(): void {
    if (this.idle) {
      clearTimeout(this.idle.timer);
      void this.idle.worker.terminate();
      this.idle = undefined;
    }
    for (const w of this.busy) void w.terminate();
    this.busy.clear();
  }

  /** Threads alive now (tests check that none is left behind). */
  get alive(): number {
    return this.busy.size + (this.idle ? 1 : 0);
  }
}

const port = parentPort;
if (port) {
  port.on('message', (msg: SummaryIn) => {
    if (msg?.type !== 'summarize') return;
    void summarizeFile(msg.model, msg.config).then((out) => port.postMessage({ ...out, id: msg.id }));
  });
}
