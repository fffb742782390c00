// What a fuzz case must satisfy: a message is one plain sentence, and text that reaches a terminal or a script is inert.

/** Text that only JS internals produce; a user never needs to read it. */
export const INTERNALS = ['undefined', '[object', 'Invalid typed array', 'Cannot read propert', 'is not a function', 'Maximum call stack', 'is not iterable', 'Unexpected token', 'out of memory'];

/** Why a message shown to a user is not one clear sentence, or undefined when it is. */
export function messageProblem(msg: string): string | undefined {
  if (!msg.trim()) return 'empty message';
  if (/[\n\r\u2028\u2029]/.test(msg)) return 'more than one line';
  if (msg.length > 300) return `${msg.length} characters (over 300)`;
  for (const bad of INTERNALS) if (msg.includes(bad)) return `JS internals ("${bad}")`;
  if (/\bat .+:\d+:\d+\)?/.test(msg) || /node:internal|\.ts:\d+|\.js:\d+/.test(msg)) return 'a stack trace';
  const c = unsafeChar(msg, false);
  if (c) return `a raw ${c} in the message`;
  return undefined;
}

const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The first character that must not reach a terminal (controls but \n, ESC, C1, bidi overrides), named. */
export function unsafeChar(text: string, allowNewline = true): string | undefined {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c === 0x0a && allowNewline) continue;
    if (c === 0x09 && !allowNewline) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return `control character U+${c.toString(16).padStart(4, '0').toUpperCase()}`;
    if (BIDI.test(ch)) return `bidi control U+${c.toString(16).toUpperCase()}`;
    if (c === 0x2028 || c === 0x2029) return `line separator U+${c.toString(16).toUpperCase()}`;
  }
  return undefined;
}

/** `file:function:line` of the first frame in the project (else the first frame at all), for grouping crashes. */
export function whereThrown(stack: string | undefined, root: string): string {
  if (!stack) return 'unknown';
  const frames = stack.split('\n').filter((l) => /^\s+at /.test(l));
  const parse = (l: string) => {
    const m = /^\s+at (?:(.*?) \()?(.*?):(\d+):\d+\)?$/.exec(l);
    if (!m) return l.trim();
    const file = m[2].replace(/^file:\/\//, '').replace(root + '/', '').replace(/.*node_modules\//, '');
    return `${file}:${m[1] ?? '<anonymous>'}:${m[3]}`;
  };
  const own = frames.find((l) => /extension\//.test(l) && !/test\/fuzz/.test(l));
  return parse(own ?? frames[0] ?? 'unknown');
}
