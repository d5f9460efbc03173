import { pino, type Logger } from 'pino';

export type { Logger };

// Secrets never reach the log: request headers that carry them are redacted wherever they appear.
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['*.headers.authorization', '*.headers["x-api-key"]', 'authorization', 'apiKey', 'token'],
      censor: '[redacted]',
    },
  });
}
