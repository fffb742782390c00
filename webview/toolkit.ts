// The ONLY module that touches @vscode/webview-ui-toolkit (deprecated upstream on 2025-01-01). Views use
// these small factories, so moving to @vscode-elements/elements means rewriting this file alone.

import './cspNonce';
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDropdown,
  vsCodeOption,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeProgressRing,
  vsCodeTextArea,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

let registered = false;

/** Register just the components the inspector uses (once). */
export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeCheckbox(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodePanels(),
    vsCodePanelTab(),
    vsCodePanelView(),
    vsCodeProgressRing(),
    vsCodeTextArea(),
    vsCodeTextField(),
  );
}

type Valued = HTMLElement & { value: string; disabled: boolean };

function withTestId<E extends HTMLElement>(el: E, testid?: string): E {
  if (testid) el.dataset.testid = testid;
  return el;
}

export interface ButtonOptions {
  appearance?: 'primary' | 'secondary' | 'icon';
  title?: string;
  testid?: string;
  disabled?: boolean;
  /** A codicon-like glyph shown before the label (plain text, no icon font needed). */
  glyph?: string;
}

export interface ButtonControl {
  el: HTMLElement;
  setDisabled(disabled: boolean): void;
  setLabel(label: string): void;
}

export function button(label: string, onClick: () => void, options: ButtonOptions = {}): ButtonControl {
  const el = withTestId(document.createElement('vscode-button') as Valued, options.testid);
  if (options.appearance) el.setAttribute('appearance', options.appearance);
  const setLabel = (text: string) => {
    el.textContent = '';
    if (options.glyph) {
      const g = document.createElement('span');
      g.className = 'glyph';
      g.setAttribute('aria-hidden', 'true');
      g.textContent = options.glyph;
      el.append(g);
    }
    el.append(text);
  };
  setLabel(label);
  if (options.title) {
    el.title = options.title;
    el.setAttribute('aria-label', options.title);
  }
  if (options.disabled) el.setAttribute('disabled', '');
  el.addEventListener('click', () => {
    if (!el.hasAttribute('disabled')) onClick();
  });
  return {
    el,
    setDisabled(disabled) {
      el.toggleAttribute('disabled', disabled);
    },
    setLabel,
  };
}

export interface FieldControl {
  el: HTMLElement;
  get value(): string;
  set value(v: string);
  setDisabled(disabled: boolean): void;
  /** Mark the field invalid with a message for assistive tech (the visible message is the caller's). */
  setInvalid(message: string | null): void;
  focus(): void;
}

function fieldControl(el: Valued): FieldControl {
  return {
    el,
    get value() {
      return el.value ?? '';
    },
    set value(v: string) {
      el.value = v;
    },
    setDisabled(disabled) {
      el.toggleAttribute('disabled', disabled);
    },
    setInvalid(message) {
      el.toggleAttribute('aria-invalid', message !== null);
      el.classList.toggle('invalid', message !== null);
      if (message) el.title = message;
      else el.removeAttribute('title');
    },
    focus() {
      el.focus();
    },
  };
}

export interface TextFieldOptions {
  label?: string;
  value?: string;
  placeholder?: string;
  size?: number;
  testid?: string;
  /** Fires on every keystroke. */
  onInput?(value: string): void;
  /** Fires when the value is committed (blur or Enter). */
  onChange?(value: string): void;
}

export function textField(options: TextFieldOptions = {}): FieldControl {
  const el = withTestId(document.createElement('vscode-text-field') as Valued, options.testid);
  if (options.label) el.textContent = options.label;
  if (options.placeholder) el.setAttribute('placeholder', options.placeholder);
  if (options.size) el.setAttribute('size', String(options.size));
  el.setAttribute('value', options.value ?? '');
  const c = fieldControl(el);
  if (options.onInput) el.addEventListener('input', () => options.onInput!(c.value));
  if (options.onChange) {
    el.addEventListener('change', () => options.onChange!(c.value));
    el.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') options.onChange!(c.value);
    });
  }
  return c;
}

export function textArea(options: { label?: string; placeholder?: string; rows?: number; testid?: string } = {}): FieldControl {
  const el = withTestId(document.createElement('vscode-text-area') as Valued, options.testid);
  if (options.label) el.textContent = options.label;
  if (options.placeholder) el.setAttribute('placeholder', options.placeholder);
  el.setAttribute('rows', String(options.rows ?? 6));
  el.setAttribute('resize', 'vertical');
  return fieldControl(el);
}

export interface DropdownOption {
  value: string;
  label: string;
}

export interface DropdownControl extends FieldControl {
  setOptions(options: DropdownOption[], value?: string): void;
}

export function dropdown(options: DropdownOption[], value: string | undefined, onChange: (value: string) => void, extra: { testid?: string; ariaLabel?: string } = {}): DropdownControl {
  const el = withTestId(document.createElement('vscode-dropdown') as Valued, extra.testid);
  if (extra.ariaLabel) el.setAttribute('aria-label', extra.ariaLabel);
  const base = fieldControl(el);
  const setOptions = (opts: DropdownOption[], v?: string) => {
    el.textContent = '';
    for (const o of opts) {
      const opt = document.createElement('vscode-option') as Valued;
      opt.setAttribute('value', o.value);
      opt.textContent = o.label;
      if (o.value === v) opt.setAttribute('selected', '');
      el.append(opt);
    }
    if (v !== undefined) queueMicrotask(() => (el.value = v));
  };
  setOptions(options, value);
  el.addEventListener('change', () => onChange(el.value));
  return { ...base, el, get value() { return el.value; }, set value(v: string) { el.value = v; }, setOptions };
}

export interface CheckboxControl {
  el: HTMLElement;
  get checked(): boolean;
  set checked(v: boolean);
}

export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void, testid?: string): CheckboxControl {
  const el = withTestId(document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean }, testid);
  el.textContent = label;
  if (checked) el.setAttribute('checked', '');
  el.addEventListener('change', () => onChange(el.checked));
  return {
    el,
    get checked() {
      return el.checked;
    },
    set checked(v: boolean) {
      el.checked = v;
    },
  };
}

export function progressRing(): HTMLElement {
  const el = document.createElement('vscode-progress-ring');
  el.setAttribute('aria-label', 'Running');
  return el;
}

/** A count badge. (The toolkit's vscode-badge binds a style attribute, which a strict CSP blocks.) */
export function badge(text: string): HTMLElement {
  const el = document.createElement('span');
  el.className = 'count-badge';
  el.textContent = text;
  return el;
}

export interface TabSpec {
  id: string;
  label: string;
  content: HTMLElement;
  testid?: string;
}

export interface TabsControl {
  el: HTMLElement;
  select(id: string): void;
  active(): string;
  /** Show a count or marker next to a tab label. */
  setBadge(id: string, text: string | null): void;
}

/** Tabs (VS Code "panels"); `onSelect` fires when the shown tab changes, by a click or by select(). */
export function tabs(specs: TabSpec[], activeId: string, onSelect: (id: string) => void): TabsControl {
  const el = document.createElement('vscode-panels') as HTMLElement & { activeid: string };
  el.setAttribute('activeid', `tab-${activeId}`);
  const badges = new Map<string, HTMLElement>();
  for (const s of specs) {
    const tab = document.createElement('vscode-panel-tab');
    tab.id = `tab-${s.id}`;
    tab.textContent = s.label;
    if (s.testid) tab.dataset.testid = s.testid;
    const b = badge('');
    b.hidden = true;
    tab.append(b);
    badges.set(s.id, b);
    el.append(tab);
  }
  for (const s of specs) {
    const view = document.createElement('vscode-panel-view');
    view.id = `view-${s.id}`;
    view.append(s.content);
    el.append(view);
  }
  let current = activeId;
  el.addEventListener('change', (e) => {
    if (e.target !== el) return; // inner dropdowns also fire 'change'
    const id = (el.activeid ?? '').replace(/^tab-/, '');
    if (id && id !== current) {
      current = id;
      onSelect(id);
    }
  });
  return {
    el,
    select(id) {
      const changed = id !== current;
      current = id;
      el.setAttribute('activeid', `tab-${id}`);
      el.activeid = `tab-${id}`;
      // The same notice as a click, so what a tab shows is brought up to date however it was opened.
      if (changed) onSelect(id);
    },
    active: () => current,
    setBadge(id, text) {
      const b = badges.get(id);
      if (!b) return;
      b.hidden = text === null;
      b.textContent = text ?? '';
    },
  };
}
