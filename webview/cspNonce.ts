// Runs before the toolkit is evaluated (imported first by toolkit.ts): FAST probes :focus-visible at
// module load with a <style> element whose nonce it reads from <meta property="csp-nonce">. Publish the
// nonce of our own script tag there, so a strict CSP (no 'unsafe-inline') does not block the probe.
const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';
if (nonce && !document.querySelector('meta[property="csp-nonce"]')) {
  const meta = document.createElement('meta');
  meta.setAttribute('property', 'csp-nonce');
  meta.setAttribute('content', nonce);
  document.head.append(meta);
}
export {};
