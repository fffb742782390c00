// What `node:worker_threads` is in the web build (esbuild aliases it here, scripts/web-builds.mjs): the platform seam
// for "start a worker". The host code starts its workers as Node threads (forwardRunner.ts, summaryWorker.ts); in the
// web extension host the same calls start Web Workers running dist/web/worker.js, which speaks the same messages.
// Inside a Web Worker there is no parent port, so the Node-thread branches of the worker modules stay off. When the
// host refuses Web Workers (an extension loaded from a remote server), the same handlers answer on the host's own
// thread (inThreadWorker.ts).
// Only what the host code uses is here: on/off for message, error and exit, postMessage, terminate, ref/unref.

import { inThreadWorker } from './inThreadWorker';

type Listener = (value: never) => void;

interface WebWorkerLike {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  terminate(): void;
  addEventListener(type: string, listener: (e: { data?: unknown; message?: string }) => void): void;
}

export const parentPort = null;

let scriptUrl: string | undefined;
/** Why Web Workers could not be started here, once known: later workers run in-thread at once. */
let refused: string | undefined;
let onRefused: ((reason: string) => void) | undefined;

/** The web entry sets the URL of dist/web/worker.js (from the extension's URI) before the host code starts one. */
export function setWorkerScript(url: string, whenRefused?: (reason: string) => void): void {
  scriptUrl = url;
  onRefused = whenRefused;
}

/** A Node-like Worker over a Web Worker. The path the host passes is its desktop bundle; the web one is used instead. */
export class Worker {
  private readonly web: Pick<WebWorkerLike, 'postMessage' | 'terminate'>;
  private readonly listeners = new Map<string, Set<Listener>>();
  private ended = false;

  constructor(_path?: unknown, _options?: unknown) {
    const WebWorker = (globalThis as unknown as { Worker?: new (url: string) => WebWorkerLike }).Worker;
    let web: WebWorkerLike | undefined;
    if (!refused) {
      try {
        if (!WebWorker || !scriptUrl) throw new Error('This host has no Web Workers.');
        web = new WebWorker(scriptUrl);
      } catch (e) {
        refused = e instanceof Error ? e.message : String(e);
        onRefused?.(refused);
      }
    }
    if (!web) {
      this.web = inThreadWorker((data) => this.emit('message', data));
      return;
    }
    this.web = web;
    web.addEventListener('message', (e) => this.emit('message', e.data));
    // A Web Worker's uncaught error is its end, as for a Node thread.
    web.addEventListener('error', (e) => this.emit('error', new Error(e.message ?? 'the worker failed')));
    web.addEventListener('messageerror', () => this.emit('error', new Error('a message from the worker could not be read')));
  }

  postMessage(message: unknown, transfer: ArrayBuffer[] = []): void {
    this.web.postMessage(message, transfer);
  }

  /** Ends the worker at once; `exit` follows with code 1, as Node reports a terminated thread. */
  terminate(): Promise<number> {
    if (!this.ended) {
      this.ended = true;
      this.web.terminate();
      queueMicrotask(() => this.emit('exit', 1));
    }
    return Promise.resolve(1);
  }

  on(event: string, listener: Listener): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  off(event: string, listener: Listener): this {
    this.listeners.get(event)?.delete(listener);
    return this;
  }

  /** Web Workers never keep a page alive: nothing to do. */
  ref(): void {}
  unref(): void {}

  private emit(event: string, value: unknown): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) (l as (v: unknown) => void)(value);
  }
}
