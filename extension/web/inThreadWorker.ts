// The fallback when the web extension host refuses to start a Web Worker. VS Code does so for an extension it loads
// from a remote server ("Creating workers from remote extensions is currently not supported": code-server, a
// development copy, Codespaces); extensions installed from the marketplace on vscode.dev and github.dev may start
// them. The same handlers as the worker's (forwardWorker.ts, summaryWorker.ts) then answer on the host's own thread:
// everything works, but a long run holds the host while it computes, and cancel can only drop its answer.

import { createForwardHandler, type WorkerIn } from '../forwardWorker';
import { summarizeFile, type SummaryIn } from '../summaryWorker';

export interface InThreadWorker {
  postMessage(message: unknown): void;
  terminate(): void;
}

/** Answers messages as the Web Worker would, delivering each answer to `deliver` until terminated. */
export function inThreadWorker(deliver: (data: unknown) => void): InThreadWorker {
  let ended = false;
  const post = (m: unknown) => {
    // An answer after terminate (a cancelled run) is dropped, as a terminated worker's would be.
    if (!ended) setTimeout(() => !ended && deliver(m), 0);
  };
  const forward = createForwardHandler((m) => post(m));
  return {
    postMessage(message) {
      // Asynchronous like a worker: the caller finishes its turn before the work starts.
      setTimeout(() => {
        if (ended) return;
        const msg = message as WorkerIn | SummaryIn | null;
        if (!msg || typeof msg !== 'object') return;
        if (msg.type === 'run' || msg.type === 'window' || msg.type === 'dispose') forward(msg);
        else if (msg.type === 'summarize') void summarizeFile(msg.model, msg.config).then((out) => post({ ...out, id: msg.id }));
      }, 0);
    },
    terminate() {
      ended = true;
    },
  };
}
