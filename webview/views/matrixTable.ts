// A virtualized table of a rows×cols matrix (time steps × units, or T×D inputs): only the rows and
// columns on screen are in the DOM, so T = 1000 × M = 256 costs a few hundred cells. Keyboard: arrows,
// PageUp/PageDown, Home/End (Ctrl for rows), Enter/Space activate; editable tables edit with Enter/F2,
// typing, or a double click, like a spreadsheet.

import { h, clear } from '../dom';
import { visibleWindow, scrollToReveal, clampIndex } from '../logic/virtual';
import { fmt } from '../logic/format';

export interface ExtraColumn {
  header: string;
  value(row: number): string;
}

export interface MatrixTableOptions {
  rows: number;
  cols: number;
  value(row: number, col: number): number;
  /** Label of the row header (first, sticky column). */
  rowLabel(row: number): string;
  rowHeader: string;
  colLabel(col: number): string;
  /** More sticky columns after the row label (e.g. the input time index t). */
  extra?: ExtraColumn[];
  /** data-testid of the table and of each value cell. */
  testid?: string;
  cellTestid?: string;
  /** Set data-* attributes on a value cell (data-step, data-unit ...). */
  cellData?(cell: HTMLElement, row: number, col: number): void;
  /** Cell background for a value (a heat tint), or null. */
  tint?(v: number): string | null;
  /** Called on click, Enter or Space on a value cell. */
  onActivate?(row: number, col: number): void;
  /** Makes cells editable: return an error sentence to refuse the text, or null after storing it. */
  onEdit?(row: number, col: number, text: string): string | null;
  /** Called with the editor's text on every keystroke, before the edit is committed (live recompute). */
  onInput?(row: number, col: number, text: string): void;
  format?(v: number): string;
  ariaLabel: string;
  height?: number;
  rowHeight?: number;
  colWidth?: number;
  /** Mark rows (e.g. masked steps). */
  rowClass?(row: number): string | null;
  /** Mark a value cell (e.g. 'invalid' for NaN in the input grid). */
  cellClass?(v: number, row: number, col: number): string | null;
}

export class MatrixTable {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly table: HTMLTableElement;
  private o: Required<Pick<MatrixTableOptions, 'rowHeight' | 'colWidth' | 'height' | 'format'>> & MatrixTableOptions;
  private activeRow = 0;
  private activeCol = 0;
  private selectedRow = -1;
  private frame = 0;
  private editing: { row: number; col: number; input: HTMLInputElement } | null = null;
  private renderedKey = '';

  constructor(options: MatrixTableOptions) {
    this.o = { rowHeight: 24, colWidth: 84, height: 320, format: (v) => fmt(v), ...options };
    this.table = h('table', { class: 'mtable', 'aria-label': options.ariaLabel, 'aria-rowcount': options.rows + 1, 'aria-colcount': options.cols + 1 + (options.extra?.length ?? 0) });
    this.table.setAttribute('role', 'grid');
    if (options.testid) this.table.dataset.testid = options.testid;
    this.scroller = h('div', { class: 'mtable-scroll' }, this.table);
    this.scroller.style.maxHeight = `${this.o.height}px`;
    this.scroller.style.setProperty('--row-h', `${this.o.rowHeight}px`);
    this.scroller.style.setProperty('--col-w', `${this.o.colWidth}px`);
    this.el = h('div', { class: 'mtable-wrap' }, this.scroller);
    this.scroller.addEventListener('scroll', () => this.schedule());
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.scroller.addEventListener('click', (e) => this.onClick(e));
    this.scroller.addEventListener('dblclick', (e) => {
      const cell = (e.target as HTMLElement).closest('td.v') as HTMLElement | null;
      if (cell && this.o.onEdit) this.startEdit(Number(cell.dataset.row), Number(cell.dataset.col));
    });
    new ResizeObserver(() => {
      // Re-render only when the new size shows rows or columns that are not rendered yet.
      if (this.windowKey() !== this.renderedKey) this.schedule();
    }).observe(this.scroller);
    this.render();
  }

  /** Replace data/size (keeps scroll position where possible). */
  update(options: Partial<MatrixTableOptions>): void {
    this.o = { ...this.o, ...options };
    this.table.setAttribute('aria-rowcount', String(this.o.rows + 1));
    this.activeRow = clampIndex(this.activeRow, this.o.rows);
    this.activeCol = clampIndex(this.activeCol, this.o.cols);
    this.render();
  }

  setSelectedRow(row: number, reveal = true): void {
    this.selectedRow = row;
    if (reveal && row >= 0) {
      this.activeRow = row;
      this.reveal(row, this.activeCol);
    }
    this.render();
  }

  /** Move the keyboard focus cell and scroll it into view. */
  focusCell(row: number, col: number): void {
    this.activeRow = clampIndex(row, this.o.rows);
    this.activeCol = clampIndex(col, this.o.cols);
    this.reveal(this.activeRow, this.activeCol);
    this.render();
    this.focusActive();
  }

  refresh(): void {
    this.render();
  }

  private get leadWidth(): number {
    // Row label column plus extra columns (sticky on the left).
    return 64 + (this.o.extra?.length ?? 0) * 56;
  }

  private reveal(row: number, col: number): void {
    const rh = this.o.rowHeight;
    const viewH = this.scroller.clientHeight || this.o.height;
    this.scroller.scrollTop = scrollToReveal(this.scroller.scrollTop, viewH - rh, rh, row);
    const viewW = (this.scroller.clientWidth || 600) - this.leadWidth;
    this.scroller.scrollLeft = scrollToReveal(this.scroller.scrollLeft, viewW, this.o.colWidth, col);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** The rows and columns that fit the viewport now. */
  private windows() {
    const { rows, cols, rowHeight: rh, colWidth: cw } = this.o;
    const viewH = this.scroller.clientHeight || this.o.height;
    const viewW = this.scroller.clientWidth || 1200;
    return {
      rw: visibleWindow(this.scroller.scrollTop, viewH - rh, rh, rows, 6),
      cwin: visibleWindow(this.scroller.scrollLeft, Math.max(cw, viewW - this.leadWidth), cw, cols, 2),
    };
  }

  private windowKey(): string {
    const { rw, cwin } = this.windows();
    return `${rw.start}:${rw.end}:${cwin.start}:${cwin.end}`;
  }

  private render(): void {
    if (this.editing) return; // keep the editor stable while typing
    const { rowHeight: rh } = this.o;
    const hadFocus = this.scroller.contains(document.activeElement);
    const { rw, cwin } = this.windows();
    this.renderedKey = `${rw.start}:${rw.end}:${cwin.start}:${cwin.end}`;
    const table = this.table;
    clear(table);
    const extra = this.o.extra ?? [];
    // Header row.
    const head = h('tr', { role: 'row', 'aria-rowindex': 1 });
    head.append(h('th', { class: 'lead corner', role: 'columnheader', scope: 'col' }, this.o.rowHeader));
    extra.forEach((x, i) => {
      const th = h('th', { class: 'lead extra', role: 'columnheader', scope: 'col' }, x.header);
      th.style.left = `${64 + i * 56}px`;
      head.append(th);
    });
    const padL = h('th', { class: 'pad', 'aria-hidden': 'true' });
    padL.style.width = padL.style.minWidth = `${cwin.before}px`;
    head.append(padL);
    for (let c = cwin.start; c < cwin.end; c++) head.append(h('th', { class: 'v', role: 'columnheader', scope: 'col', 'aria-colindex': c + 2 + extra.length }, this.o.colLabel(c)));
    const padR = h('th', { class: 'pad', 'aria-hidden': 'true' });
    padR.style.width = padR.style.minWidth = `${cwin.after}px`;
    head.append(padR);
    const thead = h('thead', {}, head);
    const tbody = h('tbody');
    if (rw.before > 0) {
      const sp = h('tr', { class: 'spacer', 'aria-hidden': 'true' });
      sp.style.height = `${rw.before}px`;
      tbody.append(sp);
    }
    const fmtv = this.o.format;
    for (let r = rw.start; r < rw.end; r++) {
      const tr = h('tr', { role: 'row', 'aria-rowindex': r + 2, 'data-row': r });
      const rc = this.o.rowClass?.(r);
      if (rc) tr.classList.add(rc);
      if (r === this.selectedRow) {
        tr.classList.add('selected');
        tr.setAttribute('aria-selected', 'true');
      }
      tr.append(h('th', { class: 'lead', role: 'rowheader', scope: 'row' }, this.o.rowLabel(r)));
      extra.forEach((x, i) => {
        const td = h('td', { class: 'lead extra' }, x.value(r));
        td.style.left = `${64 + i * 56}px`;
        tr.append(td);
      });
      tr.append(h('td', { class: 'pad', 'aria-hidden': 'true' }));
      for (let c = cwin.start; c < cwin.end; c++) {
        const v = this.o.value(r, c);
        const td = h('td', { class: 'v', role: 'gridcell', 'aria-colindex': c + 2 + extra.length, 'data-row': r, 'data-col': c, 'data-value': String(v) }, fmtv(v));
        td.tabIndex = r === this.activeRow && c === this.activeCol ? 0 : -1;
        if (this.o.cellTestid) td.dataset.testid = this.o.cellTestid;
        this.o.cellData?.(td, r, c);
        const tint = this.o.tint?.(v);
        if (tint) td.style.backgroundColor = tint;
        const cls = this.o.cellClass?.(v, r, c);
        if (cls) td.classList.add(cls);
        tr.append(td);
      }
      tr.append(h('td', { class: 'pad', 'aria-hidden': 'true' }));
      tbody.append(tr);
    }
    if (rw.after > 0) {
      const sp = h('tr', { class: 'spacer', 'aria-hidden': 'true' });
      sp.style.height = `${rw.after}px`;
      tbody.append(sp);
    }
    table.append(thead, tbody);
    // Keep one cell in the tab order even when the active one scrolled away.
    if (!table.querySelector('td.v[tabindex="0"]')) {
      const first = table.querySelector('td.v') as HTMLElement | null;
      if (first) first.tabIndex = 0;
    }
    if (hadFocus) this.focusActive();
  }

  private cellEl(row: number, col: number): HTMLElement | null {
    return this.table.querySelector(`td.v[data-row="${row}"][data-col="${col}"]`);
  }

  private focusActive(): void {
    this.cellEl(this.activeRow, this.activeCol)?.focus({ preventScroll: true });
  }

  private onClick(e: MouseEvent): void {
    const cell = (e.target as HTMLElement).closest('td.v') as HTMLElement | null;
    if (!cell) return;
    this.activeRow = Number(cell.dataset.row);
    this.activeCol = Number(cell.dataset.col);
    for (const c of this.table.querySelectorAll('td.v[tabindex="0"]')) (c as HTMLElement).tabIndex = -1;
    cell.tabIndex = 0;
    cell.focus({ preventScroll: true });
    this.o.onActivate?.(this.activeRow, this.activeCol);
  }

  private onKey(e: KeyboardEvent): void {
    if (this.editing) return;
    const cell = (e.target as HTMLElement).closest?.('td.v') as HTMLElement | null;
    if (!cell) return;
    let r = this.activeRow;
    let c = this.activeCol;
    const page = Math.max(1, Math.floor((this.scroller.clientHeight || this.o.height) / this.o.rowHeight) - 2);
    switch (e.key) {
      case 'ArrowDown': r++; break;
      case 'ArrowUp': r--; break;
      case 'ArrowRight': c++; break;
      case 'ArrowLeft': c--; break;
      case 'PageDown': r += page; break;
      case 'PageUp': r -= page; break;
      case 'Home': if (e.ctrlKey) r = 0; else c = 0; break;
      case 'End': if (e.ctrlKey) r = this.o.rows - 1; else c = this.o.cols - 1; break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        if (this.o.onEdit && e.key === 'Enter') this.startEdit(r, c);
        else this.o.onActivate?.(r, c);
        return;
      case 'F2':
        if (this.o.onEdit) {
          e.preventDefault();
          this.startEdit(r, c);
        }
        return;
      default:
        if (this.o.onEdit && e.key.length === 1 && e.key !== ' ' && !e.ctrlKey && !e.metaKey && !e.altKey) {
          e.preventDefault();
          this.startEdit(r, c, e.key);
        }
        return;
    }
    e.preventDefault();
    this.focusCell(r, c);
  }

  private startEdit(row: number, col: number, initial?: string): void {
    if (!this.o.onEdit) return;
    this.focusCell(row, col);
    const cell = this.cellEl(row, col);
    if (!cell) return;
    const input = h('input', { class: 'cell-editor', type: 'text', 'aria-label': `value at row ${this.o.rowLabel(row)}, column ${this.o.colLabel(col)}` });
    input.value = initial ?? String(this.o.value(row, col));
    clear(cell);
    cell.append(input);
    this.editing = { row, col, input };
    input.focus();
    if (initial === undefined) input.select();
    const finish = (commit: boolean, move: [number, number] | null) => {
      if (!this.editing) return;
      this.editing = null;
      if (commit) {
        const err = this.o.onEdit!(row, col, input.value);
        if (err) {
          this.render();
          const again = this.cellEl(row, col);
          again?.classList.add('invalid');
          if (again) again.title = err;
          this.focusActive();
          return;
        }
      }
      this.render();
      if (move) this.focusCell(row + move[0], col + move[1]);
      else this.focusActive();
    };
    input.addEventListener('keydown', (e) => {
      e.stopPropagation();
      if (e.key === 'Enter') {
        e.preventDefault();
        finish(true, [1, 0]);
      } else if (e.key === 'Tab') {
        e.preventDefault();
        finish(true, [0, e.shiftKey ? -1 : 1]);
      } else if (e.key === 'Escape') {
        e.preventDefault();
        finish(false, null);
      }
    });
    input.addEventListener('blur', () => finish(true, null));
    if (this.o.onInput) {
      input.addEventListener('input', () => this.o.onInput?.(row, col, input.value));
      // Typing on a cell opens the editor with that key already in it: that is the first keystroke.
      if (initial !== undefined) this.o.onInput(row, col, input.value);
    }
  }
}
