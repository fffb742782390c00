// Both inflaters of a deflated .keras member, Node's zlib (inflateNode.ts, the CLI and files on disk) and the
// platform's DecompressionStream('deflate-raw') (inflate.ts, the web build), under the same bounds: a real deflated
// model loads with the stored model's values; a member that lies about its size, a damaged stream and a stream that
// inflates 1000:1 behind a plausible directory are refused in one sentence, and reading stops at the first chunk over.
// Run: node --test --import tsx test/web/inflate.test.ts

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateRawSync, constants as zc } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import { memorySource, type ByteSource } from '../../extension/keras/container/bytes';
import { nodeInflateRaw } from '../../extension/keras/container/inflateNode';
import { readZipDirectory, readZipEntry, readZipHdf5 } from '../../extension/keras/container/kerasZip';
import { loadModelFromSource } from '../../extension/keras/document';
import { NotAKerasFileError } from '../../extension/keras/errors';
import { goldenB, kerasZip } from '../helpers/craft';

const MB = 1024 * 1024;

/** A source over `bytes` that counts the bytes read, with zlib or (undefined) DecompressionStream. */
function counted(bytes: Uint8Array, name: string, zlib: boolean): ByteSource & { readBytes: () => number } {
  const inner = memorySource(bytes, name, zlib ? nodeInflateRaw : undefined);
  let n = 0;
  return {
    ...inner,
    name,
    size: inner.size,
    async read(offset, length) {
      const out = await inner.read(offset, length);
      n += out.length;
      return out;
    },
    readBytes: () => n,
  };
}

/** One deflated member in a zip whose directory declares `size` (which may lie). */
function oneMember(name: string, data: Uint8Array, size: number): Uint8Array {
  const n = strToU8(name);
  const local = new Uint8Array(30 + n.length);
  const lv = new DataView(local.buffer);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(8, 8, true);
  lv.setUint32(18, data.length, true);
  lv.setUint32(22, size, true);
  lv.setUint16(26, n.length, true);
  local.set(n, 30);
  const cen = new Uint8Array(46 + n.length);
  const cv = new DataView(cen.buffer);
  cv.setUint32(0, 0x02014b50, true);
  cv.setUint16(10, 8, true);
  cv.setUint32(20, data.length, true);
  cv.setUint32(24, size, true);
  cv.setUint16(28, n.length, true);
  cen.set(n, 46);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, 1, true);
  ev.setUint16(10, 1, true);
  ev.setUint32(12, cen.length, true);
  ev.setUint32(16, local.length + data.length, true);
  const out = new Uint8Array(local.length + data.length + cen.length + eocd.length);
  out.set(local, 0);
  out.set(data, local.length);
  out.set(cen, local.length + data.length);
  out.set(eocd, local.length + data.length + cen.length);
  return out;
}

/** `megabytes` MB of deflate: one fully flushed 1 MB segment repeated (spaces, a random letter every `every` bytes). */
function deflatedRepeat(megabytes: number, every: number): Uint8Array {
  const seg = Buffer.alloc(MB, 0x20);
  let x = 12345;
  // Pseudo-random letters keep the ratio near 95:1 (every 208 bytes), just under the guard.
  if (every > 0) {
    for (let i = 0; i < seg.length; i += every) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      seg[i] = 0x41 + ((x >>> 24) % 26);
    }
  }
  const piece = deflateRawSync(seg, { finishFlush: zc.Z_FULL_FLUSH, level: 9 });
  const data = new Uint8Array(piece.length * megabytes + 2);
  for (let k = 0; k < megabytes; k++) data.set(piece, k * piece.length);
  data.set([0x03, 0x00], piece.length * megabytes); // an empty final block
  return data;
}

async function refusal(fn: () => Promise<unknown>): Promise<string> {
  const t0 = Date.now();
  const e = await fn().then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.ok(e instanceof NotAKerasFileError, `expected NotAKerasFileError, got ${e instanceof Error ? e.message : String(e)}`);
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  assert.doesNotMatch(e.message, /\n|undefined|\[object /);
  return e.message;
}

for (const zlib of [true, false]) {
  const which = zlib ? 'Node zlib' : "DecompressionStream('deflate-raw')";

  test(`${which}: a real deflated golden b loads with the same weights as the stored file`, async () => {
    const b = goldenB();
    const deflated = zipSync({
      'metadata.json': [strToU8(JSON.stringify(b.metadata)), { level: 6 }],
      'config.json': [strToU8(JSON.stringify(b.config)), { level: 6 }],
      'model.weights.h5': [b.weights, { level: 6 }],
    });
    const source = counted(deflated, 'deflated.keras', zlib);
    const dir = await readZipDirectory(source);
    assert.ok(dir.entries.every((e) => e.method === 8), 'every member is deflated');
    const a = await loadModelFromSource(source);
    const s = await loadModelFromSource(memorySource(kerasZip({ config: b.config, metadata: b.metadata, weights: b.weights }), 'stored.keras'));
    const values = (doc: typeof a) => doc.root.layers.flatMap((l) => l.weights.map((w) => Array.from(w.values())));
    assert.ok(values(a).length >= 3, 'the weights were bound');
    assert.deepEqual(values(a), values(s));
  });

  test(`${which}: a member inflating past its declared size stops at the first chunk over, reading little of it`, async () => {
    const data = deflatedRepeat(300, 208);
    const source = counted(oneMember('config.json', data, 2 * MB), 'liar.keras', zlib);
    const [entry] = (await readZipDirectory(source)).entries;
    const before = source.readBytes();
    const message = await refusal(() => readZipEntry(source, entry));
    assert.match(message, /liar\.keras: the member "config\.json" inflates to more than the 2\.0 MB its directory declares; the file is damaged or crafted\./);
    const read = source.readBytes() - before;
    assert.ok(read < data.length / 4, `read ${read} of ${data.length} compressed bytes before stopping`);
  });

  test(`${which}: a damaged (cut) stream gets a sentence`, async () => {
    const text = strToU8(JSON.stringify(Array.from({ length: 20000 }, (_, i) => ({ layer: `dense_${i}`, units: i % 97 }))));
    const whole = deflateRawSync(text);
    const source = counted(oneMember('config.json', whole.subarray(0, whole.length >> 1), text.length), 'cut.keras', zlib);
    const [entry] = (await readZipDirectory(source)).entries;
    const message = await refusal(() => readZipEntry(source, entry));
    assert.match(message, /cut\.keras: the member "config\.json" could not be decompressed \(damaged data\); download or save it again\./);
  });

  test(`${which}: garbage that is not deflate at all gets the damaged-data sentence`, async () => {
    const garbage = new Uint8Array(4096).fill(0xff);
    const source = counted(oneMember('config.json', garbage, 8192), 'garbage.keras', zlib);
    const [entry] = (await readZipDirectory(source)).entries;
    assert.match(await refusal(() => readZipEntry(source, entry)), /garbage\.keras: the member "config\.json" could not be decompressed \(damaged data\); download or save it again\./);
  });

  test(`${which}: a plausible directory (150 MB from 2 MB) over a 1000:1 stream is caught per chunk as a zip bomb`, async () => {
    const padded = new Uint8Array(2 * MB);
    padded.set(deflatedRepeat(150, 0));
    const source = counted(oneMember('model.weights.h5', padded, 150 * MB), 'sly.keras', zlib);
    const [entry] = (await readZipDirectory(source)).entries;
    const message = await refusal(() => readZipHdf5(source, entry));
    assert.match(message, /sly\.keras: the member "model\.weights\.h5" expands more than 100-fold, which looks like a zip bomb; it was not opened\./);
  });

  test(`${which}: a member declared over the memory limit is refused before any inflation`, async () => {
    const data = deflatedRepeat(4, 208);
    const source = counted(oneMember('model.weights.h5', data, 300 * MB), 'big.keras', zlib);
    const [entry] = (await readZipDirectory(source)).entries;
    const before = source.readBytes();
    assert.match(await refusal(() => readZipHdf5(source, entry, 256 * MB)), /would take at least 300\.0 MB in memory once inflated, over the 256\.0 MB limit/);
    assert.equal(source.readBytes() - before, 0, 'nothing of the member was read');
  });
}
