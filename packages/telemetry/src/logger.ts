import { pino, type Logger } from 'pino';

export type { Logger };

/** createLogger makes the JSON logger of one service; LOG_LEVEL is read by the app's config. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
