/** The server process: read config, start, stop cleanly on SIGINT/SIGTERM. */
import './heap-policy.js';
import { startServer } from './app.js';
import { dashboardUrl, oneTimeLoginUrl } from './auth/bootstrap.js';
import { loadConfig } from './config.js';
import { createLogger } from './log.js';

const config = loadConfig();
const log = createLogger(config.logLevel);

process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection'));

const server = await startServer(config, { log });
if (server.firstLogin) {
  const url = oneTimeLoginUrl(dashboardUrl(config.api.publicUrl, config.host, server.port), server.firstLogin.token);
  process.stdout.write(
    `\nAutoWatch is running. Log in as "${server.firstLogin.username}" with this one-time link ` +
      `(valid until ${server.firstLogin.expiresAt.toISOString()}), then set a password:\n\n  ${url}\n\n`,
  );
}
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    // Past this a stop is stuck: exit anyway (acknowledged points are in the write-ahead rows).
    const force = setTimeout(() => process.exit(1), 60_000).unref();
    server.stop().then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  });
}
