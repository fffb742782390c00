// What the CLI prints is read by a terminal, and names in it come from a stranger's file: every such string goes
// through here, so ESC/CSI, newlines and bidi overrides show as escapes and a 10 KB name cannot stretch a table.

import { showName } from '../keras/safeText';

/** Widest layer or input name in a table cell. */
const NAME_CELL = 48;
/** Widest class name, version or backend in a table cell or header. */
export const WORD_CELL = 32;
/** Longest line of free text (a note, a warning, a path) the CLI prints. */
const MAX_LINE = 300;

/** A name in a table cell: controls visible, cut to `max` characters with the full length said. */
export function cell(s: unknown, max = NAME_CELL): string {
  return showName(s, max);
}

/** A line of free text (note, warning, path): controls visible, cut to MAX_LINE characters. */
export function textLine(s: unknown, max = MAX_LINE): string {
  return showName(s, max);
}

/** Items joined with ", ", at most `maxChars` long, then "… and N more". */
export function listCell(items: readonly string[], maxChars: number): string {
  let out = '';
  for (let k = 0; k < items.length; k++) {
    const next = out ? `${out}, ${items[k]}` : items[k];
    if (next.length > maxChars) return `${out}${out ? ', ' : ''}… and ${items.length - k} more`;
    out = next;
  }
  return out;
}

// JSON.stringify escapes C0 controls and lone surrogates but not DEL, C1 controls (0x9b is CSI), line separators
// or bidi overrides; as \u escapes they are the same JSON value and cannot act on a terminal.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** JSON text for any value whose strings came from a file: valid JSON, plain ASCII controls only as escapes. */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Prose (a note, a warning, an explained formula) as lines of at most `width` characters, broken at spaces and
 * each starting with `indent`; controls visible, and the whole cut at `max` characters (a note can quote a name).
 */
export function wrapped(text: unknown, indent: string, width = 120, max = 1000): string[] {
  const words = showName(text, max).split(' ');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    // A word longer than a line (a long name) is cut into pieces of the line's width.
    for (let w = word; w.length > 0; ) {
      const room = width - indent.length - (line ? line.length + 1 : 0);
      if (w.length <= room) {
        line = line ? `${line} ${w}` : w;
        w = '';
      } else if (line) {
        lines.push(indent + line);
        line = '';
      } else {
        const piece = Array.from(w).slice(0, Math.max(1, width - indent.length)).join('');
        lines.push(indent + piece);
        w = w.slice(piece.length);
      }
    }
  }
  if (line || lines.length === 0) lines.push(indent + line);
  return lines;
}
