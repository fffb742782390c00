// "Copy as np.array": any vector, matrix, weight or h_1..h_T as a NumPy literal at full precision, put on the
// clipboard from the webview. The text itself is the core's (extension/keras/npLiteral.ts), the one the NumPy
// export writes too: the fewest digits that read back as the same float32 (≤ 9) or float64 (≤ 17).

import { h } from '../dom';
import { button } from '../toolkit';
import { npArrayText, type NpDtype } from '../../extension/keras/npLiteral';

export { npArrayText, floatText, type NpDtype } from '../../extension/keras/npLiteral';

/** What a copy button copies: values (row-major), their shape and how they are stored. */
export interface NpSource {
  values: ArrayLike<number>;
  shape: number[];
  dtype: NpDtype;
}

/** Puts `text` on the clipboard: the Clipboard API (VS Code's webview frame allows clipboard-write), else execCommand. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Older hosts refuse the API without a user gesture they can see: a selected textarea and execCommand then.
  }
  const area = h('textarea', { 'aria-hidden': 'true' });
  area.value = text;
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('the clipboard refused the text');
}

/**
 * A "Copy as np.array" button with a status beside it that says what was copied (or why not). `source` is read at
 * click time, so the button always copies what is shown then; it returns a sentence instead when it cannot.
 */
export function copyArrayButton(source: () => NpSource | string | null, options: { label?: string; testid?: string; what?: string } = {}): HTMLElement {
  const status = h('span', { class: 'copy-status muted', role: 'status', 'aria-live': 'polite' });
  const btn = button(options.label ?? 'Copy as np.array', () => {
    const s = source();
    if (!s || typeof s === 'string') {
      // A sentence says why these values cannot be copied here (e.g. a streamed trace's steps are not all in the page).
      status.textContent = s || 'Nothing to copy yet.';
      return;
    }
    let text: string;
    try {
      text = npArrayText(s.values, s.shape, s.dtype);
    } catch (e) {
      status.textContent = (e as Error).message;
      return;
    }
    copyText(text).then(
      () => (status.textContent = `Copied ${options.what ?? 'the values'} (${s.shape.join('×') || 'scalar'}, ${s.dtype}) as np.array.`),
      (e: Error) => (status.textContent = `Could not copy: ${e.message}.`),
    );
  }, { appearance: 'secondary', title: `${options.label ?? 'Copy as np.array'}: ${options.what ?? 'these values'}, at full precision` });
  return h('span', { class: 'copy-np', 'data-testid': options.testid ?? 'copy-np' }, btn.el, status);
}
