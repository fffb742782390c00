// Dev only: a fake VS Code host for index.html. Replays fixtures/<name>.json (made by makeFixtures.ts
// from the real core) as the host's messages, answers requests, and keeps setState in sessionStorage.
(function () {
  const params = new URLSearchParams(location.search);
  const fixtureName = params.get('fixture') || 'golden-b';
  const theme = params.get('theme') || 'dark';
  document.body.className = theme === 'light' ? 'vscode-light' : theme === 'hc' ? 'vscode-high-contrast' : 'vscode-dark';
  document.documentElement.dataset.theme = theme;
  const ctors = { f64: Float64Array, f32: Float32Array, i32: Int32Array, u8: Uint8Array };
  function decode(v) {
    if (Array.isArray(v)) return v.map(decode);
    if (v && typeof v === 'object') {
      if (typeof v.$b64 === 'string') {
        const bin = atob(v.$b64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        return new ctors[v.$t](bytes.buffer);
      }
      const o = {};
      for (const k of Object.keys(v)) o[k] = decode(v[k]);
      return o;
    }
    return v;
  }
  const fixture = fetch(`fixtures/${fixtureName}.json`).then((r) => r.json()).then(decode);
  const sent = (window.__devSent = []);
  let runId = 0;
  function toPage(m) {
    window.dispatchEvent(new MessageEvent('message', { data: m }));
  }
  window.acquireVsCodeApi = function () {
    return {
      getState() {
        const s = sessionStorage.getItem('state');
        return s ? JSON.parse(s) : undefined;
      },
      setState(s) {
        sessionStorage.setItem('state', JSON.stringify(s));
      },
      async postMessage(m) {
        sent.push(m);
        const f = await fixture;
        if (m.type === 'ready') {
          toPage({ ...f.init, restore: undefined });
        } else if (m.type === 'run') {
          const id = ++runId;
          toPage({ type: 'runStarted', runId: id, inputLabel: 'values from the input editor' });
          setTimeout(() => {
            if (params.get('fail') === 'run') toPage({ type: 'runError', runId: id, message: 'The input has the wrong size: expected N×T×D = ?×10×3, got 1×10×4.', kind: 'input' });
            else toPage({ type: 'runResult', result: { ...f.result, runId: id } });
          }, 30);
        } else if (m.type === 'request') {
          let reply;
          if (m.method === 'weights') {
            const w = Object.values(f.weights).find((x) => x.layer === m.params.layer && (x.path === m.params.weight || x.name === m.params.weight));
            reply = w ? { ok: true, result: w } : { ok: false, error: `The dev host has no values for ${m.params.weight}.` };
          } else if (m.method === 'export') {
            reply = { ok: true, result: { savedTo: `/tmp/${m.params.suggestedName || m.params.format}` } };
            window.__devExport = m.params;
          } else if (m.method === 'pickCsv') {
            const text = await fetch('/shared/models/files/sunspots-data.csv').then((r) => (r.ok ? r.text() : 'Month,Sunspots\n1749-01,58.0\n1749-02,62.6\n1749-03,70.0\n1749-04,55.7\n'));
            reply = { ok: true, result: { fileName: 'sunspots-data.csv', path: '/dev/sunspots-data.csv', text } };
          }
          setTimeout(() => toPage({ type: 'reply', id: m.id, ...reply }), 5);
        }
      },
    };
  };
})();
