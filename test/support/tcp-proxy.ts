/**
 * A TCP relay between a server under test and a real backend (Postgres, Redis), which a test can cut
 * (every connection reset, new ones refused) and restore: the backend becomes unreachable for the
 * server under test only, without stopping the shared service other test files use.
 * Given several targets it is a failover load balancer: each connection goes to the first target
 * that accepts it (cluster tests put two server nodes behind it).
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

type Target = { host: string; port: number };

/** A connection to the first target that accepts one, or undefined when none does. */
async function connectFirst(targets: Target[]): Promise<net.Socket | undefined> {
  for (const t of targets) {
    const sock = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.connect(t.port, t.host);
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (sock) return sock;
  }
  return undefined;
}

export async function startTcpProxy(target: Target | Target[]): Promise<TcpProxy> {
  const targets = Array.isArray(target) ? target : [target];
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(async (client) => {
        // Held until an upstream is connected: what the client sends meanwhile waits in its buffer.
        client.pause();
        sockets.add(client);
        client.on('close', () => sockets.delete(client));
        client.on('error', () => undefined);
        const upstream = await connectFirst(targets);
        if (!upstream || client.destroyed) {
          upstream?.destroy();
          return void client.resetAndDestroy();
        }
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        upstream.on('error', () => undefined);
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.resume();
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const cut = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.resetAndDestroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return {
    port,
    cut,
    restore: () => (server ? Promise.resolve() : listen()),
    close: cut,
  };
}
