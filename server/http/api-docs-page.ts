/**
 * A page that renders /api/v1/openapi.json: every operation with its scope, parameters, body and
 * answer schemas, and a form to try it with a token. One self-contained file (no CDN: it works
 * offline and under a strict CSP); everything from the document goes in as text, never as HTML.
 */
import { createHash } from 'node:crypto';

const SCRIPT = `
const $ = (tag, props = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) k === 'class' ? (e.className = v) : k.startsWith('on') ? e.addEventListener(k.slice(2), v) : e.setAttribute(k, v);
  for (const k of kids.flat()) if (k != null) e.append(k);
  return e;
};
const json = (v) => JSON.stringify(v, null, 2);
const tokenInput = document.getElementById('token');
tokenInput.value = sessionStorage.getItem('aw-token') || '';
tokenInput.addEventListener('change', () => sessionStorage.setItem('aw-token', tokenInput.value.trim()));

function tryIt(method, path, op) {
  const params = (op.parameters || []).map((p) => [p, $('input', { placeholder: p.name + (p.required ? ' (required)' : ''), 'aria-label': p.in + ' ' + p.name })]);
  const body = op.requestBody ? $('textarea', { rows: '6', 'aria-label': 'request body' }, '{}') : null;
  const out = $('pre', { class: 'out' });
  const send = async () => {
    let url = path;
    const q = new URLSearchParams();
    for (const [p, input] of params) {
      if (!input.value) continue;
      if (p.in === 'path') url = url.replace('{' + p.name + '}', encodeURIComponent(input.value));
      else q.append(p.name, input.value);
    }
    const headers = {};
    if (tokenInput.value.trim()) headers.authorization = 'Bearer ' + tokenInput.value.trim();
    if (body) headers['content-type'] = Object.keys(op.requestBody.content)[0];
    out.textContent = '...';
    try {
      const res = await fetch(url + (q.size ? '?' + q : ''), { method, headers, body: body ? body.value : undefined });
      const text = await res.text();
      let shown = text;
      try { shown = json(JSON.parse(text)); } catch {}
      out.textContent = res.status + ' ' + res.statusText + '\\n' + shown;
    } catch (err) {
      out.textContent = String(err);
    }
  };
  return $('div', { class: 'try' }, params.map(([, i]) => i), body, $('button', { onclick: send }, 'Send'), out);
}

function operation(method, path, op) {
  const details = $('details', { id: op.operationId });
  details.append(
    $('summary', {}, $('span', { class: 'm ' + method }, method.toUpperCase()), $('code', {}, path), ' ', op.summary,
      $('span', { class: 'scope' }, op['x-scope'])),
    $('p', {}, op.description || ''),
  );
  if (op.parameters) {
    details.append($('table', {}, $('tr', {}, $('th', {}, 'name'), $('th', {}, 'in'), $('th', {}, 'schema'), $('th', {}, 'about')),
      op.parameters.map((p) => $('tr', {}, $('td', {}, p.name + (p.required ? ' *' : '')), $('td', {}, p.in), $('td', {}, $('code', {}, JSON.stringify(p.schema))), $('td', {}, p.description || '')))));
  }
  if (op.requestBody) {
    // JSON for most routes; line protocol, CSV or raw bytes for intake and upload routes.
    const [type, media] = Object.entries(op.requestBody.content)[0];
    details.append($('h4', {}, 'Body ', $('small', {}, type)), $('pre', {}, media.schema ? json(media.schema) : ''));
  }
  for (const [status, r] of Object.entries(op.responses)) {
    const schema = r.content && Object.values(r.content)[0].schema;
    details.append($('h4', {}, status + ' ', $('small', {}, r.description || '')));
    if (status < '300' && schema) details.append($('pre', {}, json(schema.properties ? schema.properties.data : schema)));
  }
  details.append($('h4', {}, 'Try it'), tryIt(method.toUpperCase(), path, op));
  return details;
}

fetch('/api/v1/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  const main = document.getElementById('ops');
  main.textContent = '';
  main.append($('p', {}, doc.info.description));
  for (const tag of doc.tags) {
    main.append($('h2', {}, tag.name));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) if (op.tags.includes(tag.name)) main.append(operation(method, path, op));
    }
  }
  main.append($('h2', {}, 'Scopes'), $('table', {}, Object.entries(doc['x-scopes']).map(([s, d]) => $('tr', {}, $('td', {}, $('code', {}, s)), $('td', {}, d)))));
}).catch((err) => { document.getElementById('ops').textContent = 'Could not load the OpenAPI document: ' + err; });
`;

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#1b1f24}
header{display:flex;gap:1rem;align-items:center;justify-content:space-between;flex-wrap:wrap}
h2{margin-top:2rem;border-bottom:1px solid #ddd;text-transform:capitalize}
details{border:1px solid #e2e5e9;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer;display:flex;gap:.6rem;align-items:center}
.m{font:600 12px monospace;padding:2px 6px;border-radius:4px;color:#fff;min-width:3.5rem;text-align:center}
.get{background:#2f6fbd}.post{background:#2e8b57}.put{background:#b7791f}.patch{background:#8a63b8}.delete{background:#c53030}
.scope{margin-left:auto;font:12px monospace;color:#555}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:24rem}
table{border-collapse:collapse}td,th{border:1px solid #e2e5e9;padding:.2rem .5rem;text-align:left;vertical-align:top}
.try input,.try textarea{display:block;width:100%;margin:.2rem 0;font:13px monospace}
input#token{width:28rem;font:13px monospace}
`;

export function apiDocsPage(): { html: string; csp: string } {
  const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>AutoWatch API</title><style>${STYLE}</style></head>
<body><header><h1 id="title">AutoWatch API</h1>
<label>Token <input id="token" type="password" placeholder="aws_... or awk_id.secret" autocomplete="off"></label></header>
<p><a href="/api/v1/openapi.json">openapi.json</a> · conventions, errors and request signing: docs/api.md</p>
<main id="ops">Loading…</main>
<script>${SCRIPT}</script></body></html>`;
  const csp = `default-src 'none'; script-src ${hash(SCRIPT)}; style-src ${hash(STYLE)}; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return { html, csp };
}
