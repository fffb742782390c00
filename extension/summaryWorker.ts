// The worker thread that reads a model file for the extension host: parse, summarize and compute the input specs
// of an untrusted file here, so a file that claims 10^5 layers or nests deep costs this thread time and memory,
// never the extension host's. Protocol with models.ts (ReadWorkers): `summarize` with an id in, one `summary` or
// `error` with that id out; the host terminates the thread on its time or heap limit, or when it has been idle.

import { parentPort } from 'node:worker_threads';
import { loadModel } from './keras/document';
import { summarize, type ModelSummary } from './keras/summary';
import { inputSpecs, type InputSpec } from './keras/inputs';
import { InspectorError, MissingArchitectureError, describeThrown, oneSentence } from './keras/errors';

export type SummaryIn = { type: 'summarize'; id: number; file: string; configPath?: string };
export type SummaryOut =
  | { type: 'summary'; summary: ModelSummary; inputs: InputSpec[]; notExecutable?: string }
  | { type: 'error'; message: string; expected: boolean; needsArchitecture: boolean };

/** Reads one file to what the host shows (also used in-process when no worker bundle exists, e.g. unit tests). */
export async function summarizeFile(file: string, configPath?: string): Promise<SummaryOut> {
  try {
    const doc = await loadModel(file, configPath ? { configPath } : {});
    const summary = summarize(doc);
    const inputs = inputSpecs(doc);
    return { type: 'summary', summary, inputs, ...(doc.notExecutable ? { notExecutable: doc.notExecutable } : {}) };
  } catch (e) {
    const expected = e instanceof InspectorError;
    const name = file.split(/[\\/]/).pop() ?? file;
    const message = expected ? describeThrown(e) : `${name} could not be read as a Keras model: ${describeThrown(e)}`;
    return { type: 'error', message: oneSentence(message), expected, needsArchitecture: e instanceof MissingArchitectureError };
  }
}

const port = parentPort;
if (port) {
  port.on('message', (msg: SummaryIn) => {
    if (msg?.type !== 'summarize') return;
    void summarizeFile(msg.file, msg.configPath).then((out) => port.postMessage({ ...out, id: msg.id }));
  });
}
