// Reading an input file from disk (Node only: the CLI). Nothing is read whole that the file could make large: a .npy
// header is checked against the file's size and the memory budget before its data is read, and a CSV is streamed twice
// (scan, then only the rows used). Bytes already in memory go to inputFiles.ts's parseInputBytes.

import type { FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import { openRegularFile, readAt } from './container/bytesNode';
import { InputError } from './errors';
import { HEAD_BYTES, PICKLE_EXTENSIONS, SERIES_EXTENSIONS, npyResult, pickleError, textResult, type ReadInputResult } from './inputFiles';
import { CsvRowReader, CsvScanner, MAX_INPUT_TEXT_CHARS, MAX_NPY_HEADER_BYTES, isNpy, parseNpy, parseNpyHeader, type CsvOptions, type RawArray } from './inputs';
import { budgetBytes, formatBytes } from './limits';
import { showName } from './safeText';

export * from './inputFiles';

/** Bytes read per step when a CSV is streamed. */
const CSV_CHUNK = 1024 * 1024;

/**
 * Reads and parses an input file; `column`/`window` cut a series out of a CSV (or a 1-D/2-D array). `asExtension`
 * reads it as that kind whatever its name (the panel's CSV input). Folders, pipes and devices get a sentence.
 */
export async function readInputFile(path: string, options: CsvOptions = {}, asExtension?: string): Promise<ReadInputResult> {
  const { handle, size } = await openRegularFile(path, 'The input file', 'give a .json, .csv or .npy file');
  try {
    return await readOpenInput(handle, size, path, asExtension ?? extname(path).toLowerCase(), options);
  } finally {
    await handle.close();
  }
}

async function readOpenInput(handle: FileHandle, size: number, path: string, extension: string, options: CsvOptions): Promise<ReadInputResult> {
  const budget = options.memoryBudgetBytes ?? budgetBytes();
  const head = await readAt(handle, size, 0, HEAD_BYTES);
  if (isNpy(head)) {
    // The header first (it may be longer than the head, up to its limit), then exactly the data it was checked for.
    let headerHead = head;
    if (head.length >= 12) {
      const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const need = head[6] === 1 ? 10 + v.getUint16(8, true) : 12 + v.getUint32(8, true);
      if (need > head.length && need <= MAX_NPY_HEADER_BYTES + 12) headerHead = await readAt(handle, size, 0, need);
    }
    const header = parseNpyHeader(headerHead, size, budget);
    const bytes = await readAt(handle, size, 0, header.dataStart + header.dataBytes);
    return npyResult(parseNpy(bytes, budget), options);
  }
  if (PICKLE_EXTENSIONS.has(extension)) throw pickleError(extension);
  const start = new TextDecoder('utf-8').decode(head).replace(/^\uFEFF/, '').trimStart();
  if (SERIES_EXTENSIONS.has(extension) && !start.startsWith('[') && !start.startsWith('{')) {
    return { ...(await streamCsv(handle, size, options)), kind: 'csv' };
  }
  if (size > MAX_INPUT_TEXT_CHARS) {
    throw new InputError(
      `The input file ${showName(path, 160)} is ${formatBytes(size)}, over the ${formatBytes(MAX_INPUT_TEXT_CHARS)} read as typed text; save the array with numpy.save and give the .npy file.`,
    );
  }
  const bytes = await readAt(handle, size, 0, size);
  return textResult(new TextDecoder('utf-8').decode(bytes), extension, options, budget);
}

/** Two streaming passes through one reused buffer: the scan keeps only offsets, the second reads just the rows used. */
async function streamCsv(handle: FileHandle, size: number, options: CsvOptions): Promise<{ raw: RawArray; notes: string[] }> {
  const buffer = new Uint8Array(Math.min(CSV_CHUNK, Math.max(1, size)));
  const each = async (from: number, to: number, use: (chunk: Uint8Array) => void) => {
    for (let at = from; at < to; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, to - at), at);
      if (bytesRead === 0) break;
      use(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
  };
  const scanner = new CsvScanner(options);
  await each(0, size, (chunk) => scanner.push(chunk));
  const plan = scanner.end();
  const reader = new CsvRowReader(plan);
  await each(plan.start, plan.end, (chunk) => reader.push(chunk));
  const { array, notes } = reader.end();
  return { raw: array, notes };
}

