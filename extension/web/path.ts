// What `node:path` is in the web extension build (esbuild alias): the host code takes base names and joins the
// extension's own folder with POSIX separators, which is what URI paths (fsPath in the web host) use.

export const sep = '/';

export function basename(p: string, ext?: string): string {
  const trimmed = p.replace(/\/+$/, '');
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return ext && base.endsWith(ext) && base !== ext ? base.slice(0, -ext.length) : base;
}

export function dirname(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : trimmed.slice(0, i);
}

export function extname(p: string): string {
  const base = basename(p);
  const i = base.lastIndexOf('.');
  return i <= 0 ? '' : base.slice(i);
}

export function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

export function normalize(p: string): string {
  const absolute = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else out.push(part);
  }
  return (absolute ? '/' : '') + out.join('/') || (absolute ? '/' : '.');
}

export function join(...parts: string[]): string {
  return normalize(parts.filter((x) => x !== '').join('/'));
}

/** There is no working directory in the browser: a relative path resolves against the root. */
export function resolve(...parts: string[]): string {
  let p = '';
  for (const part of parts) p = part.startsWith('/') ? part : `${p}/${part}`;
  return normalize(p.startsWith('/') ? p : `/${p}`);
}

export default { sep, basename, dirname, extname, isAbsolute, normalize, join, resolve };
