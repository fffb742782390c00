// The stylesheet of the output step, the weight matrices block, the weight grids and the copy buttons, adopted
// once (a constructed sheet: the CSP allows no <style>).

import notebookCss from '../../media/notebook.css' with { type: 'text' };

let adopted = false;

export function adoptNotebookStyle(): void {
  if (adopted || typeof CSSStyleSheet === 'undefined') return;
  adopted = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(notebookCss);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
