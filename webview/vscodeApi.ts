// The webview's side of the protocol: typed posting, request/reply with ids, and saved state.

import type { HostMessage, PersistedState, RequestMethod, RequestParams, RequestResult, WebviewMessage } from '../extension/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi =
  typeof acquireVsCodeApi === 'function'
    ? acquireVsCodeApi()
    : // Opened outside VS Code (a plain browser): keep working, but say nothing goes anywhere.
      { postMessage: (m) => console.warn('no VS Code host for', m), getState: () => undefined, setState: () => undefined };

export function post(message: WebviewMessage): void {
  api.postMessage(message);
}

let nextId = 1;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

/** Ask the host; resolves with its reply, rejects with its one-sentence error. */
export function request<M extends RequestMethod>(method: M, params: RequestParams<M>): Promise<RequestResult<M>> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    post({ type: 'request', id, method, params } as WebviewMessage);
  });
}

/** Route a reply to its request; false when the message is not a reply. */
export function handleReply(m: HostMessage): boolean {
  if (m.type !== 'reply') return false;
  const p = pending.get(m.id);
  if (!p) return true;
  pending.delete(m.id);
  if (m.ok) p.resolve(m.result);
  else p.reject(new Error(m.error));
  return true;
}

export function loadState(): PersistedState | undefined {
  const s = api.getState();
  return s && typeof s === 'object' && typeof (s as PersistedState).fileUri === 'string' ? (s as PersistedState) : undefined;
}

export function saveState(state: PersistedState): void {
  api.setState(state);
}
