import { startApiServer } from './test/api/api-client.js';
import { signRequest } from './server/auth/signing.js';
const t = await startApiServer();
const r = await t.call('POST', '/api/v1/api-keys', { headers: t.admin.auth, body: { name: 'x', scopes: ['account'] } });
const key = { id: r.body.data.key.id, secret: r.body.data.secret };
const path = `/api/v1/api-keys/${key.id}`;
const body = JSON.stringify({ name: 'renamed' });
const cases: Array<[string, any, Record<string, string>]> = [
  ['ifmatch', { contentType: 'application/json', ifMatch: '"1"' }, { 'If-Match': '*' }],
  ['added', { contentType: 'application/json' }, { 'If-Match': '"1"' }],
  ['retyped', { contentType: 'application/json', ifMatch: '"1"' }, { 'Content-Type': 'text/plain' }],
  ['ok', { contentType: 'application/json', ifMatch: '"1"' }, {}],
];
for (const [label, signed, extra] of cases) {
  const t0 = Date.now();
  try {
    const headers = { ...signRequest({ keyId: key.id, secret: key.secret, method: 'PATCH', path, body, ...signed }), ...extra };
    console.log(headers);
    const res = await fetch(t.http + path, { method: 'PATCH', headers, body });
    console.log(label, res.status, (await res.text()).slice(0, 100), Date.now() - t0);
  } catch (e) { console.log(label, 'ERR', (e as any).cause?.code, Date.now() - t0); }
}
await t.close();
