// Every name, string and number in a model file is untrusted. These turn such a string into something safe for
// the place it goes: a Python literal, a terminal line, Markdown, or a label. No `vscode` import: the CLI, the
// NumPy export, the host and the webview all share them.

/** Bidirectional controls (LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI, LRM/RLM/ALM) make `evil.exe` read as `exe.live`. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** C0 and C1 controls, DEL, and the Unicode line/paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/** A lone UTF-16 surrogate (invalid text that some printers and Python reject). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0');

/** `\x1b`, `\u202e`: a character made visible as its escape. */
function visibleEscape(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return code < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`;
}

/**
 * A string as a Python 3 string literal, like `repr()` but always double-quoted: backslashes, quotes, every
 * control, separator, bidi and lone-surrogate character are escaped, so nothing in it can end the literal or a line.
 */
export function pyStr(s: string): string {
  let out = '"';
  for (const ch of String(s)) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 || /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/.test(ch)) out += visibleEscape(ch);
    else if (code >= 0xd800 && code <= 0xdfff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/**
 * Text safe to print to a terminal on one line: controls (ESC, CSI, newlines, BEL), bidi overrides and lone
 * surrogates are shown as their escapes, so a name can neither move the cursor nor fake another line.
 */
export function terminalSafe(s: string): string {
  return String(s).replace(CONTROL, visibleEscape).replace(BIDI, visibleEscape).replace(LONE_SURROGATE, (c) => `\\u${hex(c, 4)}`);
}

/** The longest name shown in a label or a message; longer ones are cut with an ellipsis and their length. */
export const MAX_SHOWN_NAME = 80;

/**
 * A name from a file as a label: controls and bidi overrides made visible (so `evil\u202eexe.txt` cannot pass for
 * another name), and cut to `max` characters with the full length said.
 */
export function showName(s: unknown, max = MAX_SHOWN_NAME): string {
  const text = terminalSafe(typeof s === 'string' ? s : String(s));
  if (text.length <= max) return text;
  const cut = Array.from(text).slice(0, max).join('');
  return `${cut}… (${text.length} characters)`;
}

/**
 * Text for a Markdown surface (hovers, tooltips): every ASCII punctuation character is backslash-escaped (CommonMark
 * allows it for all of them), so a name cannot open a link, a command, an image, an HTML tag, a code span or an
 * autolink. Never put the result inside a code span; use it with isTrusted off.
 */
export function markdownText(s: string, max = 4 * MAX_SHOWN_NAME): string {
  return showName(s, max).replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

/** Text for a notification or an error message: one line, controls visible, nothing that looks like a link. */
export function plainText(s: string): string {
  // VS Code renders [label](command:...) links in notifications: break the bracket-paren pair and bare schemes.
  return terminalSafe(s).replace(/\]\s*\(/g, ']\u200b(').replace(/\b(command|https?|file|vscode|javascript|data):/gi, '$1\u200b:');
}
