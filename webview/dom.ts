// Tiny DOM helpers. No innerHTML with data anywhere: text goes through textContent, so nothing from a
// model file (layer names, config strings) can ever become markup.

type Attrs = Record<string, string | number | boolean | undefined | null>;
type Child = Node | string | null | undefined | false;

/** Create an element: attributes (data-* via `data-x`), then children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

// Theme variables are read once and cached: getComputedStyle after a DOM change forces a style
// recalculation, and the heatmap/table/chart read a dozen of them per draw. The cache is dropped when
// VS Code switches theme (it rewrites the html style attribute and the body class).
const themeCache = new Map<string, string>();
let themeStyle: CSSStyleDeclaration | null = null;
const themeListeners = new Set<() => void>();
let themeObserver: MutationObserver | null = null;

/** Read a CSS custom property of the theme (VS Code sets --vscode-* on the html element). */
export function themeVar(name: string, fallback: string): string {
  let v = themeCache.get(name);
  if (v === undefined) {
    themeStyle ??= getComputedStyle(document.documentElement);
    v = themeStyle.getPropertyValue(name).trim();
    themeCache.set(name, v);
  }
  return v || fallback;
}

/** Call `fn` after the theme changed (colours must be re-read and canvases repainted). */
export function onThemeChange(fn: () => void): () => void {
  if (!themeObserver) {
    themeObserver = new MutationObserver(() => {
      themeCache.clear();
      themeStyle = null;
      for (const l of themeListeners) l();
    });
    themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class', 'data-theme'] });
    if (document.body) themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }
  themeListeners.add(fn);
  return () => themeListeners.delete(fn);
}

/** Clickable by mouse, Enter and Space; focusable in tab order. */
export function makeActivatable(el: HTMLElement, onActivate: (e: Event) => void, role = 'button'): void {
  if (!el.hasAttribute('tabindex')) el.tabIndex = 0;
  if (!el.hasAttribute('role')) el.setAttribute('role', role);
  el.addEventListener('click', onActivate);
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onActivate(e);
    }
  });
}

// ------------------------------------------------------------------------------------------------
// Tooltips: one floating box, shown on hover and on keyboard focus of any element with a tip.

const tips = new WeakMap<Element, () => (string | HTMLElement)>();
let tipBox: HTMLElement | null = null;
let tipOwner: Element | null = null;

function ensureTipBox(): HTMLElement {
  if (!tipBox) {
    tipBox = h('div', { class: 'tooltip', role: 'tooltip', id: 'inspector-tooltip' });
    tipBox.hidden = true;
    document.body.append(tipBox);
  }
  return tipBox;
}

function showTip(owner: Element): void {
  const make = tips.get(owner);
  if (!make) return;
  const box = ensureTipBox();
  clear(box);
  const content = make();
  if (typeof content === 'string') {
    for (const line of content.split('\n')) box.append(h('div', {}, line));
  } else box.append(content);
  box.hidden = false;
  tipOwner = owner;
  owner.setAttribute('aria-describedby', box.id);
  const r = owner.getBoundingClientRect();
  const bw = box.offsetWidth;
  const bh = box.offsetHeight;
  let left = Math.min(r.left, window.innerWidth - bw - 8);
  let top = r.bottom + 6;
  if (top + bh > window.innerHeight - 4) top = Math.max(4, r.top - bh - 6);
  left = Math.max(4, left);
  box.style.left = `${left}px`;
  box.style.top = `${top}px`;
}

function hideTip(owner?: Element): void {
  if (owner && owner !== tipOwner) return;
  if (tipBox) tipBox.hidden = true;
  tipOwner?.removeAttribute('aria-describedby');
  tipOwner = null;
}

/** Attach an explanation shown on hover and focus (and hidden with Escape). */
export function tooltip(el: HTMLElement, content: string | (() => string | HTMLElement)): void {
  tips.set(el, typeof content === 'string' ? () => content : content);
  el.addEventListener('mouseenter', () => showTip(el));
  el.addEventListener('mouseleave', () => hideTip(el));
  el.addEventListener('focus', () => showTip(el));
  el.addEventListener('blur', () => hideTip(el));
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') hideTip(el);
  });
}

/** Plain text tooltip at a point (canvas hovers). */
export function pointTip(x: number, y: number, text: string | null): void {
  const box = ensureTipBox();
  if (text === null) {
    if (!tipOwner) box.hidden = true;
    return;
  }
  clear(box);
  for (const line of text.split('\n')) box.append(h('div', {}, line));
  box.hidden = false;
  const bw = box.offsetWidth;
  const bh = box.offsetHeight;
  box.style.left = `${Math.max(4, Math.min(x + 12, window.innerWidth - bw - 8))}px`;
  box.style.top = `${y + bh + 16 > window.innerHeight ? Math.max(4, y - bh - 8) : y + 16}px`;
}
