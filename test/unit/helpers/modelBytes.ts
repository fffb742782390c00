// What the extension host sends a worker for a file (contract: bytes, not paths): its base name and whole bytes,
// read here with Node the way the host reads them with workspace.fs.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A model file as RunRequest.model / SummaryIn.model: a view that owns its whole buffer (so it can be transferred). */
export function modelBytes(file: string): { name: string; bytes: Uint8Array } {
  return { name: path.basename(file), bytes: new Uint8Array(readFileSync(file)) };
}

/** An architecture JSON as RunRequest.config. */
export function configText(file: string): { name: string; text: string } {
  return { name: path.basename(file), text: readFileSync(file, 'utf8') };
}
