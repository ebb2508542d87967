/**
 * The running server's admin socket: a Unix socket in DATA_DIR (mode 0600) where the `autowatch`
 * CLI sends its command when a server runs, so that the CLI works beside it (the embedded
 * database takes one process only) and the links it prints carry the server's real address.
 * The file's permission is the authentication, as with Docker's and PostgreSQL's local sockets:
 * only the user owning DATA_DIR can connect. One JSON line each way: the command's arguments
 * (and what the CLI read from stdin) in, its exit code and output lines out.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export const adminSocketPath = (dataDir: string) => join(dataDir, 'admin.sock');

export interface AdminRequest {
  argv: string[];
  /** What the CLI read from its stdin (--password-stdin), or absent. */
  stdin?: string;
}

export interface AdminAnswer {
  code: number;
  out: string[];
  err: string[];
}

/** A request is a command line and perhaps a password: anything longer is not one. */
const MAX_REQUEST_BYTES = 64 * 1024;
/** The CLI sends its request as soon as it connects. */
const REQUEST_TIMEOUT_MS = 10_000;

/** Reads one newline-ended line; rejects past `max` bytes or when the peer goes first. */
function readLine(socket: Socket, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\n');
      if (end >= 0) {
        socket.off('data', onData);
        resolve(buffered.slice(0, end));
      } else if (buffered.length > max) {
        socket.off('data', onData);
        reject(new Error('admin socket: message too long'));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', () => reject(new Error('admin socket: closed before a full message')));
  });
}

export interface AdminSocket {
  close(): Promise<void>;
}

/**
 * Listens at `path` and answers each request with `run`. A file left there by a process that died
 * is replaced; a socket some other live server answers is left to it (null is returned).
 */
export async function serveAdminSocket(path: string, run: (req: AdminRequest) => Promise<AdminAnswer>): Promise<AdminSocket | null> {
  if (existsSync(path)) {
    if (await answers(path)) return null;
    unlinkSync(path);
  }
  // Connections that have not sent their request yet: dropped at close, so none holds a stop up.
  const waiting = new Set<Socket>();
  const server: Server = createServer((socket) => {
    waiting.add(socket);
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
    readLine(socket, MAX_REQUEST_BYTES)
      .then((line) => {
        waiting.delete(socket);
        socket.setTimeout(0);
        const req = JSON.parse(line) as AdminRequest;
        if (!Array.isArray(req.argv) || !req.argv.every((a) => typeof a === 'string')) throw new Error('admin socket: argv must be a list of strings');
        return run(req);
      })
      .catch((err: Error): AdminAnswer => ({ code: 1, out: [], err: [err.message] }))
      .then((answer) => socket.end(`${JSON.stringify(answer)}\n`));
    socket.on('error', () => undefined);
    socket.on('close', () => waiting.delete(socket));
  });
  // The socket is made 0600 at bind time, never briefly open to others.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of waiting) socket.destroy();
      }),
  };
}

/** Whether a live server answers at `path` (a connection is taken; a refused or missing one is not). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Sends a command to the running server at `path`. Null when no server listens there (no file,
 * or one a dead process left): the caller then works on the store itself.
 */
export function sendToAdminSocket(path: string, req: AdminRequest): Promise<AdminAnswer | null> {
  if (!existsSync(path)) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(null);
      else reject(new Error(`cannot reach the running server at ${path}: ${err.message}`));
    });
    socket.once('connect', () => {
      socket.write(`${JSON.stringify(req)}\n`);
      readLine(socket, Infinity).then((line) => resolve(JSON.parse(line) as AdminAnswer), reject);
    });
  });
}
