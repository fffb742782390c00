// Stylesheets a view brings with it, adopted once each as constructed sheets: the strict CSP allows no <style>
// element and no 'unsafe-inline', but it does allow these.

const adopted = new Set<string>();

export function adoptOnce(css: string): void {
  if (adopted.has(css) || typeof CSSStyleSheet === 'undefined') return;
  adopted.add(css);
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
