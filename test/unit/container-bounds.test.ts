// Hostile containers and input files: every claim a file makes (zip sizes, directory fields, .npy shapes, CSV lengths)
// is checked before memory is sized by it, and only regular files are read. Each case ends in its own sentence
// (≤ 300 characters, no JS internals) within 2 s, with memory far below what the file claims.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { deflateRawSync, constants as zc } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import { loadModel } from '../../extension/keras/documentNode';
import { InputError, NotAKerasFileError, type InspectorError } from '../../extension/keras/errors';
import { readInputFile, parseInputBytes } from '../../extension/keras/inputFilesNode';
import { fillArray, fillInputs, parseCsv, parseInputText, parseNpy, type RawArray } from '../../extension/keras/inputs';
import { goldenB, kerasZip, sharedDir } from '../helpers/craft';

const dir = mkdtempSync(path.join(tmpdir(), 'container-bounds-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes?: Uint8Array | string) => {
  const p = path.join(dir, name);
  if (bytes !== undefined) writeFileSync(p, bytes);
  return p;
};
const MB = 1024 * 1024;

/** Runs `fn`, expects an InspectorError of `type` whose message matches `re`; checks the sentence rules and the time. */
async function refuses(fn: () => unknown, type: new (...a: any[]) => InspectorError, re: RegExp, ms = 2000): Promise<string> {
  const t0 = Date.now();
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  const took = Date.now() - t0;
  assert.ok(thrown instanceof type, `expected ${type.name}, got ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)}`);
  const message = (thrown as Error).message;
  assert.match(message, re);
  assert.ok(message.length <= 300, `${message.length} characters: ${message}`);
  assert.doesNotMatch(message, /Invalid typed array|Invalid string length|Array buffer allocation|\[object |undefined|NaN|\n/);
  assert.ok(took < ms, `took ${took} ms`);
  return message;
}

// ---------------------------------------------------------------------------------------------
// Crafted zips: a writer whose every directory field can lie

interface RawMember {
  name: string | Uint8Array;
  method: number;
  /** The member's bytes as stored (already compressed for method 8). */
  data: Uint8Array;
  /** The inflated size the directory declares. */
  size: number;
  compressedSize?: number;
  localOffset?: number;
}

function rawZip(members: RawMember[], lie: { count?: number; cdOffset?: number; cdSize?: number; nameLength?: number } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = typeof m.name === 'string' ? strToU8(m.name) : m.name;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, m.method, true);
    lv.setUint32(18, m.compressedSize ?? m.data.length, true);
    lv.setUint32(22, m.size, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cen = new Uint8Array(46 + name.length);
    const cv = new DataView(cen.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, m.method, true);
    cv.setUint32(20, m.compressedSize ?? m.data.length, true);
    cv.setUint32(24, m.size, true);
    cv.setUint16(28, lie.nameLength ?? name.length, true);
    cv.setUint32(42, m.localOffset ?? offset, true);
    cen.set(name, 46);
    central.push(cen);
    parts.push(local, m.data);
    offset += local.length + m.data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, lie.count ?? members.length, true);
  ev.setUint16(10, lie.count ?? members.length, true);
  ev.setUint32(12, lie.cdSize ?? cdSize, true);
  ev.setUint32(16, lie.cdOffset ?? offset, true);
  const all = [...parts, ...central, eocd];
  const out = new Uint8Array(all.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of all) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const stored = (name: string, text: string | Uint8Array): RawMember => {
  const data = typeof text === 'string' ? strToU8(text) : text;
  return { name, method: 0, data, size: data.length };
};

/**
 * A deflate stream of `megabytes` MB built from one independently flushed 1 MB segment repeated (so a 440 MB member
 * costs one 1 MB deflate), at about `ratio`:1: the segment is spaces with a pseudo-random letter every few bytes.
 */
function deflatedRepeat(megabytes: number, every: number): { data: Uint8Array; ratio: number } {
  const seg = Buffer.alloc(MB, 0x20);
  let x = 12345;
  if (every > 0) {
    for (let i = 0; i < seg.length; i += every) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      seg[i] = 0x41 + ((x >>> 24) % 26);
    }
  }
  // A full flush ends the segment byte-aligned with an empty history, so copies of it can follow each other.
  const piece = deflateRawSync(seg, { finishFlush: zc.Z_FULL_FLUSH, level: 9 });
  const data = new Uint8Array(piece.length * megabytes + 2);
  for (let k = 0; k < megabytes; k++) data.set(piece, k * piece.length);
  data.set([0x03, 0x00], piece.length * megabytes); // an empty final block
  return { data, ratio: (megabytes * MB) / data.length };
}

const b = goldenB();
const configText = JSON.stringify(b.config);
const metadataText = JSON.stringify(b.metadata);

test('a 95:1 config.json that inflates past V8\'s string limit is refused by its declared size, before any inflation', async () => {
  const bomb = deflatedRepeat(600, 208);
  assert.ok(bomb.ratio > 85 && bomb.ratio < 100, `ratio ${bomb.ratio}: just under the 100:1 guard`);
  const p = file('bomb95.keras', rawZip([{ name: 'config.json', method: 8, data: bomb.data, size: 600 * MB }, stored('metadata.json', metadataText)]));
  const before = process.memoryUsage().rss;
  await refuses(() => loadModel(p), NotAKerasFileError, /bomb95\.keras: the member "config\.json" inflates to at least 600\.0 MB, over the 64\.0 MB limit for a Keras config/);
  assert.ok(process.memoryUsage().rss - before < 100 * MB);
});

test('a config.json that lies about its size stops inflating as soon as it passes the declared size', async () => {
  const bomb = deflatedRepeat(600, 208);
  for (const declared of [1024, 2 * MB]) {
    const p = file(`liar${declared}.keras`, rawZip([{ name: 'config.json', method: 8, data: bomb.data, size: declared }, stored('metadata.json', metadataText)]));
    const before = process.memoryUsage().rss;
    await refuses(() => loadModel(p), NotAKerasFileError, /the member "config\.json" inflates to more than the (1\.0 KB|2\.0 MB) its directory declares; the file is damaged or crafted/);
    assert.ok(process.memoryUsage().rss - before < 100 * MB, 'the 600 MB were never inflated');
  }
  // Damaged and cut-off streams end in a sentence too (no stray stream error escapes).
  const garbage = new Uint8Array(5000).map((_, i) => (i * 7919) & 0xff);
  const cut = deflatedRepeat(2, 208).data.subarray(0, 3000);
  for (const [name, data] of [['garbage', garbage], ['cut', cut]] as const) {
    const p = file(`${name}.keras`, rawZip([{ name: 'config.json', method: 8, data, size: 4000 }, stored('metadata.json', metadataText)]));
    await refuses(() => loadModel(p), NotAKerasFileError, /the member "config\.json" (could not be decompressed \(damaged data\)|inflates to more than the 3\.9 KB)/);
  }
});

test('a 90:1, 440 MB deflated weights member is not inflated whole: over the memory budget it gets a sentence', async () => {
  const bomb = deflatedRepeat(440, 192);
  assert.ok(bomb.ratio > 80 && bomb.ratio < 100, `ratio ${bomb.ratio}`);
  const members = [stored('metadata.json', metadataText), stored('config.json', configText)];
  const p = file('weights90.keras', rawZip([...members, { name: 'model.weights.h5', method: 8, data: bomb.data, size: 440 * MB }]));
  const before = process.memoryUsage().rss;
  await refuses(
    () => loadModel(p),
    NotAKerasFileError,
    /the compressed weights member "model\.weights\.h5" would take at least 440\.0 MB in memory once inflated, over the 256\.0 MB limit; re-save the model with Keras/,
  );
  // The same member claiming 1 MB: inflation stops just past it.
  const liar = file('weights-liar.keras', rawZip([...members, { name: 'model.weights.h5', method: 8, data: bomb.data, size: MB }]));
  await refuses(() => loadModel(liar), NotAKerasFileError, /"model\.weights\.h5" inflates to more than the 1\.0 MB its directory declares/);
  assert.ok(process.memoryUsage().rss - before < 100 * MB);
  // Above the 100:1 guard, refused from the directory alone.
  const zeros = deflatedRepeat(440, 0);
  const z = file('weights-zeros.keras', rawZip([...members, { name: 'model.weights.h5', method: 8, data: zeros.data, size: 200 * MB }]));
  await refuses(() => loadModel(z), NotAKerasFileError, /expands more than 100-fold, which looks like a zip bomb/);
  // The directory's ratio looks fine (150 MB from 2 MB), but the stream itself inflates 1000:1: caught per chunk.
  const padded = new Uint8Array(2 * MB);
  padded.set(deflatedRepeat(150, 0).data);
  const sly = file('weights-sly.keras', rawZip([...members, { name: 'model.weights.h5', method: 8, data: padded, size: 150 * MB }]));
  await refuses(() => loadModel(sly), NotAKerasFileError, /expands more than 100-fold, which looks like a zip bomb; it was not opened/);
  assert.ok(process.memoryUsage().rss - before < 200 * MB);
});

test('a real deflated weights member under the budget still loads, with the same values as the stored one', async () => {
  const deflated = zipSync({
    'metadata.json': [strToU8(metadataText), { level: 6 }],
    'config.json': [strToU8(configText), { level: 6 }],
    'model.weights.h5': [b.weights, { level: 6 }],
  });
  const a = await loadModel(file('deflated.keras', deflated));
  const s = await loadModel(file('stored.keras', kerasZip({ config: b.config, metadata: b.metadata })));
  const values = (doc: typeof a) => doc.root.layers.flatMap((l) => l.weights.map((w) => Array.from(w.values())));
  assert.ok(values(s).flat().length > 0);
  assert.deepEqual(values(a), values(s));
});

test('zip directory fields are checked against the bytes present', async () => {
  const ok = [stored('metadata.json', metadataText), stored('config.json', configText)];
  await refuses(() => loadModel(file('count.keras', rawZip(ok, { count: 40 }))), NotAKerasFileError, /claims 40 members in .*, which cannot hold them/);
  await refuses(() => loadModel(file('cdoff.keras', rawZip(ok, { cdOffset: 0x7fffff00 }))), NotAKerasFileError, /directory points past the end of the file/);
  await refuses(() => loadModel(file('namelen.keras', rawZip(ok, { nameLength: 60000 }))), NotAKerasFileError, /entry 1 of 2 runs past the end of the directory/);
  const far = [{ ...stored('config.json', configText), localOffset: 0x10000000 }];
  await refuses(() => loadModel(file('local.keras', rawZip(far))), NotAKerasFileError, /entry 1 of 1 \("config\.json"\) points outside the file's data/);
  const sizes = [{ ...stored('config.json', configText), size: 10 }];
  await refuses(() => loadModel(file('sizes.keras', rawZip(sizes))), NotAKerasFileError, /stored uncompressed but gives two different sizes/);
  const big = [{ ...stored('config.json', configText), compressedSize: 0x7fff0000 }];
  await refuses(() => loadModel(file('csize.keras', rawZip(big))), NotAKerasFileError, /points outside the file's data/);
});

test('member names with control characters and duplicates are shown escaped and flagged', async () => {
  const evil = '\u001b[2J\u001b]8;;https://evil.example\u0007x\u202e.json\n';
  const msg = await refuses(() => loadModel(file('noconfig.keras', rawZip([stored(evil, '{}')]))), NotAKerasFileError, /has no config\.json \(members: /);
  assert.doesNotMatch(msg, /[\u0000-\u001f\u202e]/);
  assert.match(msg, /\\x1b\[2J/);
  const dup = await loadModel(file('dup.keras', rawZip([stored('config.json', '{}'), stored('metadata.json', metadataText), stored('config.json', configText), stored('model.weights.h5', b.weights)])));
  assert.ok(dup.warnings.some((w) => /several members named "config\.json"/.test(w)));
  assert.equal(dup.root.layers.length > 0, true, 'the last config.json is used, as Python does');
});

// ---------------------------------------------------------------------------------------------
// Paths that are not regular files

const hasMkfifo = (() => {
  try {
    execFileSync('mkfifo', [path.join(dir, 'probe.fifo')]);
    return true;
  } catch {
    return false;
  }
})();

test('a model path that is a symlink to /dev/zero, a FIFO or a folder gets a sentence, never a read', async (t) => {
  const zero = path.join(dir, 'zero.h5');
  symlinkSync('/dev/zero', zero);
  await refuses(() => loadModel(zero), InputError, /The model file .*zero\.h5 is a character device \(like \/dev\/zero\), not a regular file; open a \.keras, \.h5 or \.weights\.h5 file\./);
  const folder = path.join(dir, 'folder.keras');
  mkdirSync(folder);
  await refuses(() => loadModel(folder), InputError, /folder\.keras is a folder/);
  if (!hasMkfifo) return t.skip('mkfifo is not available here');
  const fifo = path.join(dir, 'model.fifo.h5');
  execFileSync('mkfifo', [fifo]);
  await refuses(() => loadModel(fifo), InputError, /model\.fifo\.h5 is a named pipe \(FIFO\), not a regular file/);
});

test('a sparse 3 GB file with an HDF5 signature whose layout the metadata walk does not know is refused, not read whole', async () => {
  const p = file('sparse.h5');
  // HDF5 magic, then superblock version 1: a layout the walk leaves to the whole-file fallback.
  writeFileSync(p, Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 1]), Buffer.alloc(4096 - 9)]));
  truncateSync(p, 3 * 1024 * MB);
  const before = process.memoryUsage().rss;
  await refuses(
    () => loadModel(p),
    NotAKerasFileError,
    /sparse\.h5 is 3\.0 GB and uses an HDF5 layout \(superblock version 1\) that is read only whole, which this tool does up to 1\.0 GB; re-save it/,
  );
  assert.ok(process.memoryUsage().rss - before < 100 * MB);
  // 100 GB: more than the address space most machines map for the metadata image; either way one sentence.
  truncateSync(p, 100 * 1024 * MB);
  await refuses(() => loadModel(p), NotAKerasFileError, /sparse\.h5 is 100\.0 GB(, more than this machine can map to find its HDF5 metadata| and uses an HDF5 layout)/);
});

test('the architecture JSON beside a weights-only file is size- and type-checked too', async () => {
  const weights = path.join(sharedDir, 'models/files/patalt-simplernn-weights.h5');
  const w = file('w.h5');
  copyFileSync(weights, w);
  const zero = path.join(dir, 'zero.json');
  symlinkSync('/dev/zero', zero);
  await refuses(() => loadModel(w, { configPath: zero }), InputError, /The architecture file .*zero\.json is a character device \(like \/dev\/zero\)/);
  const huge = file('w.json', '{"class_name": "Sequential", "config": {"layers": []}}');
  truncateSync(huge, 200 * MB); // found beside w.h5, sparse
  await refuses(() => loadModel(w), InputError, /The architecture file .*w\.json is 200\.0 MB, over the 64\.0 MB this tool reads for it/);
});

// ---------------------------------------------------------------------------------------------
// Input files

test('input paths that are /dev/zero, a FIFO or a folder get a sentence', async (t) => {
  const zero = path.join(dir, 'in-zero.csv');
  symlinkSync('/dev/zero', zero);
  await refuses(() => readInputFile(zero), InputError, /The input file .*in-zero\.csv is a character device \(like \/dev\/zero\), not a regular file; give a \.json, \.csv or \.npy file\./);
  await refuses(() => readInputFile(dir), InputError, /is a folder, not a regular file; give a \.json, \.csv or \.npy file/);
  if (!hasMkfifo) return t.skip('mkfifo is not available here');
  const fifo = path.join(dir, 'in.fifo.csv');
  execFileSync('mkfifo', [fifo]);
  await refuses(() => readInputFile(fifo), InputError, /in\.fifo\.csv is a named pipe \(FIFO\)/);
});

/** A .npy v1 file with any header text and `dataBytes` bytes of data. */
function npy(header: string, dataBytes: number, version = 1): Uint8Array {
  const h = strToU8(header);
  const pre = version === 1 ? 10 : 12;
  const out = new Uint8Array(pre + h.length + dataBytes);
  out.set([0x93, ...strToU8('NUMPY'), version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  out.set(h, pre);
  return out;
}

test('.npy headers that lie are refused before anything is allocated', async () => {
  const header = (shape: string, descr = '<f8', fortran = 'False') => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': (${shape}), }`;
  const cases: [Uint8Array, RegExp][] = [
    [npy(header('100000, 100000'), 64), /shape \(100000, 100000\) needs 74\.5 GB of data, the file has 64 bytes/],
    [npy(header('1000000000, 3', '<f4', 'True'), 64), /shape \(1000000000, 3\) needs 11\.2 GB of data/],
    [npy(header('-5, 3'), 64), /shape \(-5, 3\) is not a list of sizes/],
    [npy(header('2.5, 3'), 64), /is not a list of sizes/],
    [npy(header('99999999999999999999,'), 64), /has a size over 2,147,483,647/],
    [npy(header('1, 1, 1, 1, 1, 1, 1, 1, 1, 1'), 8), /has 10 axes; an input has at most 8/],
    [npy(header('2,', '|O'), 16), /holds Python objects, which would need unpickling; this tool never unpickles/],
    [npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8), /structured \(record\) array/],
    [npy(header('4,'), 8, 2).subarray(0, 30), /truncated: its header is incomplete/],
  ];
  for (const [bytes, re] of cases) {
    await refuses(() => parseNpy(bytes), InputError, re);
    await refuses(() => readInputFile(file('lie.npy', bytes)), InputError, re);
  }
  // A v2 header length of 4 GB, past the file's end.
  const long = npy(header('2,'), 16, 2);
  new DataView(long.buffer).setUint32(8, 0xfffffff0, true);
  await refuses(() => readInputFile(file('long.npy', long)), InputError, /header claims to be 4\.0 GB long, far beyond any real one/);
  // Within the file, but over the memory budget: 300 MB of float64 (sparse), checked before reading it.
  const p = file('budget.npy', npy(header('39321600, 1'), 0));
  truncateSync(p, 300 * MB + 128);
  await refuses(() => readInputFile(p), InputError, /The \.npy array \(39321600×1\) would need 300\.0 MB, over the 256\.0 MB limit/);
  // An honest one still reads.
  const okBytes = npy(header('2, 2'), 32);
  const good = parseNpy(okBytes);
  assert.deepEqual(good.shape, [2, 2]);
});

test('a CSV window is streamed: a 60 MB CSV is read for one column without holding it, for a window from either end', async () => {
  const p = file('big.csv');
  const fd = openSync(p, 'w');
  writeSync(fd, 'time,a,b,c\n');
  const block = Buffer.from(Array.from({ length: 20000 }, (_, i) => `${i},${i % 7}.5,-3.75,${i % 3}\n`).join(''));
  let rows = 0;
  let size = 0;
  while (size < 60 * MB) {
    writeSync(fd, block);
    size += block.length;
    rows += 20000;
  }
  closeSync(fd);
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage();
  const t0 = Date.now();
  const last = await readInputFile(p, { column: 'b', window: { length: 12, start: -12 } });
  const first = await readInputFile(p, { column: 1, window: { length: 3, start: 2 } });
  const took = Date.now() - t0;
  const after = process.memoryUsage();
  const grew = Math.max(after.rss - before.rss, after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers);
  assert.deepEqual((last.raw as RawArray).shape, [12, 1]);
  assert.deepEqual([...(last.raw as RawArray).data], Array(12).fill(-3.75));
  assert.match(last.notes[0], new RegExp(`CSV rows ${rows - 12}\\.\\.${rows - 1} \\(of ${rows}\\)`));
  assert.deepEqual([...(first.raw as RawArray).data], [2.5, 3.5, 4.5]);
  assert.ok(grew < 20 * MB, `memory grew by ${(grew / MB).toFixed(1)} MB for a ${(size / MB).toFixed(0)} MB file`);
  assert.ok(took < 10000, `took ${took} ms`);
  // Reading every row of every column is refused by the budget, not attempted.
  await refuses(() => readInputFile(p, { memoryBudgetBytes: 16 * MB }), InputError, /The CSV's \d+×4 values would need .* over the 16\.0 MB limit; cut a window of rows with --window/, 10000);
});

test('CSV lines, windows and cells: bounded, and the same answers in memory and streamed', async () => {
  await refuses(() => parseCsv('1,2\n' + '9'.repeat(2 * MB) + '\n'), InputError, /Line 2 of the CSV is over 1\.0 MB long; a CSV input has one time step per line/);
  await refuses(() => readInputFile(file('noline.csv', new Uint8Array(3 * MB).fill(0x31))), InputError, /Line 1 of the CSV is over 1\.0 MB long/);
  await refuses(() => parseCsv('1\n2\n', { window: { length: 2, start: -1e12 } }), InputError, /A window starting 1000000000000 rows from the end would need/);
  await refuses(() => parseCsv('1\n2\n', { window: { length: 1e12 } }), InputError, /A window of 1000000000000 rows would need/);
  await refuses(() => parseCsv('1\n2\n', { window: { length: 2.5 } }), InputError, /window length must be a positive whole number, got 2\.5/);
  await refuses(() => parseCsv('1,2\n3\n'), InputError, /row 2 has 1 columns but the first row has 2/);
  const text = '# comment\n\ntime;x\n0;1\n\n1;2\n# more\n2;3\n3;4\n';
  const p = file('small.csv', text);
  for (const window of [{ length: 2, start: -3 }, { length: 3, start: 1 }, { length: 4 }]) {
    const mem = parseCsv(text, { column: 'x', window });
    const disk = await readInputFile(p, { column: 'x', window });
    assert.deepEqual([...(disk.raw as RawArray).data], [...mem.array.data]);
    assert.deepEqual(disk.notes, mem.notes);
  }
  assert.deepEqual([...parseCsv(text, { column: 'x', window: { length: 2, start: -3 } }).array.data], [2, 3]);
  const bom = parseCsv('\uFEFF1 2\n3 4\n');
  assert.deepEqual([...bom.array.data], [1, 2, 3, 4]);
});

test('typed input: sizes, nesting and ragged lists that claim more than they hold are refused before allocating', async () => {
  await refuses(() => parseInputText('['.repeat(100000) + ']'.repeat(100000)), InputError, /nested more than 8 lists deep/);
  await refuses(() => parseInputText('np.array(' + '['.repeat(100000) + '1' + ']'.repeat(100000) + ')'), InputError, /nested more than 8 brackets deep/);
  // The first row claims 200,000 columns and 200,001 rows (4·10^10 values); the rest of the rows are empty.
  const ragged = '[[' + '0,'.repeat(200000) + '0]' + ',[]'.repeat(200000) + ']';
  await refuses(() => parseInputText(ragged), InputError, /not rectangular: position \[1\] has 0 entries but the first one at that depth has 200001/);
  await refuses(() => parseInputText('[' + '0,'.repeat(15_000_000) + '0]'), InputError, /The typed input would need .* over the 256\.0 MB limit; give fewer values/);
  await refuses(() => parseInputText(' '.repeat(65 * MB)), InputError, /The typed input is 65\.0 MB of text, over the 64\.0 MB limit/);
  await refuses(() => parseInputBytes(new Uint8Array(65 * MB).fill(0x20), '.json'), InputError, /over the 64\.0 MB read as typed text/);
  const huge = file('huge.json', '[');
  truncateSync(huge, 100 * MB);
  await refuses(() => readInputFile(huge), InputError, /huge\.json is 100\.0 MB, over the 64\.0 MB read as typed text/);
});

test('fills: N and T typed by the user are checked before anything is sized by them', async () => {
  // Golden model b with T left free, so fills take T from the user.
  const config = structuredClone(b.config);
  config.config.layers[0].config.batch_shape = [null, null, 3];
  config.config.build_input_shape = [null, null, 3];
  const doc = await loadModel(file('b-free-t.keras', kerasZip({ config, metadata: b.metadata })));
  await refuses(() => fillInputs(doc, 'zeros', { T: 1e9 }), InputError, /T \(the number of time steps\) is 1000000000, which is not a whole number from 1 to 10,000,000; enter one in that range/);
  await refuses(() => fillInputs(doc, 'zeros', { T: -3 }), InputError, /T \(the number of time steps\) is -3/);
  await refuses(() => fillInputs(doc, 'zeros', { T: 2.5 }), InputError, /T \(the number of time steps\) is 2\.5/);
  await refuses(() => fillInputs(doc, 'zeros', { T: 10, N: 1e9 }), InputError, /N \(the number of samples\) is 1000000000, which is not a whole number from 1 to 1,000,000/);
  await refuses(() => fillInputs(doc, 'ramp', { T: 10_000_000, N: 1000 }), InputError, /A filled input of 1000×10000000×3 values would need 223\.5 GB, over the 256\.0 MB limit; choose a smaller N or T/);
  await refuses(() => fillArray('zeros', [1e6, 1e6]), InputError, /would need 7\.3 TB|would need .* over the 256\.0 MB limit/);
  const ok = fillInputs(doc, 'ramp', { T: 4 });
  assert.deepEqual(ok.tensors[0].shape, [1, 4, 3]);
});
