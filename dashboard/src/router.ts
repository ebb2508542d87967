/**
 * Hash routing (#/hosts/abc?range=6h): the server serves one index.html for every path, and the
 * one-time login link carries its token in the fragment, which never reaches a server log.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Location {
  path: string;
  query: URLSearchParams;
}

function read(): Location {
  const raw = location.hash.replace(/^#/, '') || '/';
  const i = raw.indexOf('?');
  return { path: i < 0 ? raw : raw.slice(0, i), query: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(read);
  const hashAtRender = location.hash;
  useEffect(() => {
    const on = () => setLoc(read());
    addEventListener('hashchange', on);
    // Effects run after paint: a hash changed between the first render and now fired no event we heard.
    if (location.hash !== hashAtRender) on();
    return () => removeEventListener('hashchange', on);
  }, []);
  return loc;
}

export function navigate(to: string, replace = false): void {
  const hash = `#${to}`;
  if (replace) history.replaceState(null, '', hash);
  else location.hash = hash;
  if (replace) dispatchEvent(new HashChangeEvent('hashchange'));
}

/** Matches `/hosts/:id` against a path: the params, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) out[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return out;
}
