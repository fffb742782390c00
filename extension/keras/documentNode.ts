// Node only (the CLI, tests, benchmarks): a model read from a path on disk, its architecture JSON looked for beside it
// or given with --config. The extension host never comes here: it reads bytes through VS Code's file system and calls
// loadModelFromSource (document.ts), in the browser too.

import { existsSync } from 'node:fs';
import { fileSource, readSmallFile } from './container/bytesNode';
import { architectureCandidates, loadModelFromSource, type ArchitectureText, type LoadOptions } from './document';
import { InputError } from './errors';
import { MAX_TEXT_BYTES } from './limits';
import type { ModelDocument } from './model';
import { showName } from './safeText';

export * from './document';

export interface NodeLoadOptions extends LoadOptions {
  /** Path of the architecture JSON for a weights-only file (otherwise looked for beside it). */
  configPath?: string;
}

/** The architecture JSON at `configPath`, else the first one beside `modelPath`; undefined when there is none. */
export async function findArchitectureFile(modelPath: string | undefined, configPath?: string): Promise<ArchitectureText | undefined> {
  const candidates = configPath ? [configPath] : modelPath ? architectureCandidates(modelPath) : [];
  for (const c of candidates) {
    if (!existsSync(c)) {
      if (c === configPath) throw new InputError(`The architecture file ${showName(c, 160)} does not exist.`);
      continue;
    }
    // A JSON beside the model is as untrusted as the model: a regular file, of a config's size at most.
    const bytes = await readSmallFile(c, MAX_TEXT_BYTES, 'The architecture file', 'give the JSON written by model.to_json()');
    return { name: c, text: new TextDecoder().decode(bytes) };
  }
  return undefined;
}

/** Reads a model file from disk. The file is opened read-only and never written. */
export async function loadModel(filePath: string, opts: NodeLoadOptions = {}): Promise<ModelDocument> {
  // Refuses folders, pipes and devices (a symlink to /dev/zero never ends) with a sentence.
  const source = await fileSource(filePath);
  const { configPath, ...rest } = opts;
  try {
    return await loadModelFromSource(source, { findConfig: (file) => findArchitectureFile(file.path, configPath), ...rest });
  } finally {
    await source.close();
  }
}
