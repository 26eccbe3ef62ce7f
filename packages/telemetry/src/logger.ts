import { pino, type Logger } from 'pino';
import { activeTraceFields } from './trace-context.js';

export type { Logger };

/**
 * createLogger makes the JSON logger of one service; LOG_LEVEL is read by the app's config. Every
 * line written inside a span carries that span's traceId and spanId.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: activeTraceFields,
  });
}
