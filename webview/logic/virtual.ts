// Which rows (or columns) of a long list are on screen, so only those are in the DOM.

export interface Window {
  /** First rendered index (inclusive). */
  start: number;
  /** Last rendered index (exclusive). */
  end: number;
  /** Space before the first rendered item, in pixels. */
  before: number;
  /** Space after the last rendered item, in pixels. */
  after: number;
}

/** Visible items of `count` items of `size` px each in a viewport scrolled to `offset`, plus `overscan` either side. */
export function visibleWindow(offset: number, viewport: number, size: number, count: number, overscan = 4): Window {
  if (count <= 0 || size <= 0) return { start: 0, end: 0, before: 0, after: 0 };
  const first = Math.floor(Math.max(0, offset) / size);
  const visible = Math.ceil(Math.max(0, viewport) / size) + 1;
  const start = Math.max(0, Math.min(count - 1, first - overscan));
  const end = Math.min(count, first + visible + overscan);
  return { start, end: Math.max(end, start + 1), before: start * size, after: Math.max(0, (count - Math.max(end, start + 1)) * size) };
}

/** Scroll offset that brings item `index` fully into view (unchanged when it already is). */
export function scrollToReveal(offset: number, viewport: number, size: number, index: number, header = 0): number {
  const top = index * size;
  const bottom = top + size;
  if (top < offset) return top;
  if (bottom > offset + viewport - header) return Math.max(0, bottom - viewport + header);
  return offset;
}

/** Clamp a keyboard move inside [0, count). */
export function clampIndex(i: number, count: number): number {
  return Math.max(0, Math.min(count - 1, i));
}
