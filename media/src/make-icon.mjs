// Draws media/icon.png (128×128): an RNN cell with its recurrent loop, x_t in and h_t out.
// Run: node media/src/make-icon.mjs. Plain Node (zlib) so no image tool is needed.
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const S = 128;
const img = new Float64Array(S * S * 4); // premultiplied-free RGBA in 0..1

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255);
// Coverage from a signed distance (negative inside), antialiased over one pixel.
const cover = (d) => Math.max(0, Math.min(1, 0.5 - d));

function paint(color, sdf) {
  const [r, g, b] = hex(color);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const a = cover(sdf(x + 0.5, y + 0.5));
      if (a <= 0) continue;
      const k = (y * S + x) * 4;
      const da = img[k + 3];
      const oa = a + da * (1 - a);
      for (const [c, v] of [[0, r], [1, g], [2, b]]) img[k + c] = (v * a + img[k + c] * da * (1 - a)) / oa;
      img[k + 3] = oa;
    }
  }
}

const roundRect = (x0, y0, x1, y1, rad) => (x, y) => {
  const qx = Math.abs(x - (x0 + x1) / 2) - ((x1 - x0) / 2 - rad);
  const qy = Math.abs(y - (y0 + y1) / 2) - ((y1 - y0) / 2 - rad);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - rad;
};
const circle = (cx, cy, rad) => (x, y) => Math.hypot(x - cx, y - cy) - rad;
const segment = (ax, ay, bx, by, w) => (x, y) => {
  const px = x - ax, py = y - ay, vx = bx - ax, vy = by - ay;
  const t = Math.max(0, Math.min(1, (px * vx + py * vy) / (vx * vx + vy * vy)));
  return Math.hypot(px - vx * t, py - vy * t) - w / 2;
};
// An arc of a ring from angle a0 to a1 (radians, y down).
const arc = (cx, cy, rad, w, a0, a1) => (x, y) => {
  let a = Math.atan2(y - cy, x - cx);
  if (a < a0) a += 2 * Math.PI;
  if (a >= a0 && a <= a1) return Math.abs(Math.hypot(x - cx, y - cy) - rad) - w / 2;
  const e0 = [cx + rad * Math.cos(a0), cy + rad * Math.sin(a0)];
  const e1 = [cx + rad * Math.cos(a1), cy + rad * Math.sin(a1)];
  return Math.min(Math.hypot(x - e0[0], y - e0[1]), Math.hypot(x - e1[0], y - e1[1])) - w / 2;
};
const triangle = (p) => (x, y) => {
  // Distance sign from edge half-planes; good enough for a small filled arrow head.
  let d = -Infinity;
  for (let i = 0; i < 3; i++) {
    const [ax, ay] = p[i], [bx, by] = p[(i + 1) % 3];
    const nx = by - ay, ny = -(bx - ax), len = Math.hypot(nx, ny);
    d = Math.max(d, ((x - ax) * nx + (y - ay) * ny) / len);
  }
  return d;
};

paint('#1f3b57', roundRect(4, 4, 124, 124, 24));
// Recurrent loop h_{t-1} → cell, above the cell.
paint('#ffb74d', arc(64, 44, 24, 7, Math.PI * 0.8, Math.PI * 2.2));
paint('#ffb74d', triangle([[33, 46], [50, 42], [41, 58]]));
// x_t enters from below, h_t leaves to the right.
paint('#e0f2f1', segment(64, 116, 64, 92, 7));
paint('#e0f2f1', segment(84, 76, 112, 76, 7));
paint('#e0f2f1', triangle([[112, 66], [122, 76], [112, 86]]));
paint('#e0f2f1', circle(64, 116, 7));
// The cell.
paint('#4dd0e1', circle(64, 76, 20));
paint('#1f3b57', circle(64, 76, 9));

// PNG encoding: RGBA8, no filter.
const raw = Buffer.alloc(S * (S * 4 + 1));
for (let y = 0; y < S; y++) {
  raw[y * (S * 4 + 1)] = 0;
  for (let x = 0; x < S * 4; x++) raw[y * (S * 4 + 1) + 1 + x] = Math.round(img[y * S * 4 + x] * 255);
}
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const c = Buffer.alloc(4); c.writeUInt32BE(crc(body));
  return Buffer.concat([len, body, c]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(S, 0); ihdr.writeUInt32BE(S, 4);
ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(fileURLToPath(new URL('../icon.png', import.meta.url)), png);
