/**
 * A local SMTP server that accepts every message and keeps it: enough of RFC 5321 (EHLO, MAIL,
 * RCPT, DATA, QUIT) for a real client such as nodemailer. No TLS, no auth: a test sink only.
 */
import { createServer, type Server } from 'node:net';

export interface SunkMail {
  from: string;
  to: string[];
  data: string;
}

export interface SmtpSink {
  port: number;
  mails: SunkMail[];
  close(): Promise<void>;
}

/** `greeting` replaces the 220 line (a server that refuses, or is not SMTP at all); `host` is where it listens. */
export async function startSmtpSink(opts: { host?: string; greeting?: string } = {}): Promise<SmtpSink> {
  const mails: SunkMail[] = [];
  const server: Server = createServer((socket) => {
    let buffer = '';
    let inData = false;
    let current: SunkMail = { from: '', to: [], data: '' };
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply(opts.greeting ?? '220 sink ESMTP ready');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          current.data = buffer.slice(0, end).replace(/\r\n\.\./g, '\r\n.');
          buffer = buffer.slice(end + 5);
          inData = false;
          mails.push(current);
          current = { from: '', to: [], data: '' };
          reply('250 2.0.0 queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250-sink\r\n250 8BITMIME');
        else if (verb === 'HELO') reply('250 sink');
        else if (verb === 'MAIL') (current.from = /<([^>]*)>/.exec(line)?.[1] ?? ''), reply('250 2.1.0 ok');
        else if (verb === 'RCPT') current.to.push(/<([^>]*)>/.exec(line)?.[1] ?? ''), reply('250 2.1.5 ok');
        else if (verb === 'DATA') (inData = true), reply('354 go ahead');
        else if (verb === 'RSET') (current = { from: '', to: [], data: '' }), reply('250 ok');
        else if (verb === 'NOOP') reply('250 ok');
        else if (verb === 'QUIT') reply('221 bye'), socket.end();
        else reply('502 5.5.2 not implemented');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, opts.host ?? '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    mails,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
