// The stylesheet of the graph, windows and history views, adopted once (a constructed sheet: the CSP allows no <style>).

import extrasCss from '../../media/extras.css' with { type: 'text' };

let adopted = false;

export function adoptExtrasStyle(): void {
  if (adopted || typeof CSSStyleSheet === 'undefined') return;
  adopted = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(extrasCss);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
