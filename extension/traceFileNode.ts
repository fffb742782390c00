// Writes an export too large to hold as one buffer (the CSV of a trace kept as checkpoints) to a local file piece by
// piece. In the web build node:fs/promises is extension/web/fs.ts, whose `open` refuses: there is no local file.

import { open, unlink } from 'node:fs/promises';

/** Opens `path` for writing, lets `fill` write to it, and removes the partial file when `fill` fails or is cancelled. */
export async function writeLocalFileInPieces(path: string, fill: (write: (text: string) => Promise<void>) => Promise<void>): Promise<void> {
  const file = await open(path, 'w');
  try {
    await fill(async (text) => {
      await file.write(text);
    });
    await file.close();
  } catch (e) {
    await file.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw e;
  }
}
