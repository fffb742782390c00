// Dev only: a static server for the dev page (index.html) over the repo root, so the page can load
// dist/webview.js, media/inspector.css and the fixtures with a CSP like the real host's.
//   node scripts/webview-dev/serve.mjs [port]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = normalize(join(fileURLToPath(import.meta.url), '../../..'));
const port = Number(process.argv[2] ?? 5178);
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.map': 'application/json' };

createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  // /shared/... serves the project's shared test data (models, CSV) read-only.
  const shared = normalize(join(root, '..', 'shared'));
  const p = decodeURIComponent(url.pathname);
  const path = p.startsWith('/shared/') ? normalize(join(shared, p.slice(8))) : normalize(join(root, p));
  if (!path.startsWith(root) && !path.startsWith(shared)) return res.writeHead(403).end();
  try {
    const body = await readFile(path);
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
}).listen(port, '127.0.0.1', () => console.log(`dev page: http://127.0.0.1:${port}/scripts/webview-dev/index.html?fixture=golden-b`));
