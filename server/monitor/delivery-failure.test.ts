import { createServer } from 'node:net';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { describeDeliveryFailure, describeHttpStatus } from './delivery-failure.js';
import { EgressForbiddenError } from './egress-policy.js';

/** A TCP service that says `greeting` to whoever connects; what nodemailer makes of it is the error under test. */
async function sendTo(greeting: string | null): Promise<unknown> {
  const server = createServer((s) => (greeting === null ? s.destroy() : s.end(`${greeting}\r\n`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, connectionTimeout: 2000, greetingTimeout: 2000 });
  try {
    await transport.sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'x' });
    return undefined;
  } catch (err) {
    return err;
  } finally {
    transport.close();
    server.close();
  }
}

describe('delivery failures as the delivery log shows them', () => {
  it('an SMTP greeting never reaches the log: the reply code does', async () => {
    const banner = await sendTo('SSH-2.0-OpenSSH_9.2p1 secret-build-4711');
    expect(String((banner as Error).message)).toMatch(/secret-build-4711/); // what the old code stored
    expect(describeDeliveryFailure(banner)).toBe('not an SMTP server (unexpected greeting)');
    const refused = await sendTo('554 mx.internal.example secret-relay-0042 go away');
    expect(describeDeliveryFailure(refused)).toBe('SMTP server refused to CONN: 554');
  });

  it('socket and policy failures get fixed phrases', async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as { port: number }).port;
    await new Promise((r) => free.close(r));
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, connectionTimeout: 2000 });
    const refused = await transport.sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'x' }).catch((e) => e);
    expect(describeDeliveryFailure(refused)).toBe('connection refused');
    const fetchRefused = await fetch(`http://127.0.0.1:${port}/`).catch((e) => e);
    expect(describeDeliveryFailure(fetchRefused)).toBe('connection refused');
    expect(describeDeliveryFailure(new EgressForbiddenError('localhost'))).toBe('target address forbidden by egress policy');
    expect(describeDeliveryFailure(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }))).toBe('host name not found');
    expect(describeDeliveryFailure(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }))).toBe('timed out');
    expect(describeDeliveryFailure(new Error('remote said: secret'))).toBe('delivery failed');
    expect(describeDeliveryFailure(Object.assign(new Error('x'), { code: 'remote text, not a code' }))).toBe('delivery failed');
  });

  it('HTTP answers keep their status, nothing else', () => {
    expect(describeHttpStatus(500)).toBe('HTTP 500');
    expect(describeHttpStatus(302)).toBe('HTTP 302 (redirects are not followed)');
  });
});
