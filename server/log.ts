/** Structured JSON logs. Secrets are redacted by path so a careless field never reaches the log. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { svc: 'autowatch', pid: process.pid },
    redact: {
      paths: [
        'secret',
        '*.secret',
        'token',
        '*.token',
        'password',
        '*.password',
        'key',
        '*.key',
        'authorization',
        '*.authorization',
        'bearer',
        '*.bearer',
        'new_password',
        '*.new_password',
        'current_password',
        '*.current_password',
        'password_hash',
        '*.password_hash',
        'secret_hash',
        '*.secret_hash',
        'signing_key',
        '*.signing_key',
        'headers["x-aw-signature"]',
        '*.headers["x-aw-signature"]',
      ],
      censor: '[redacted]',
    },
  });
}
