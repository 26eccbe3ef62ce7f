import { pino, type Logger } from 'pino';
import { activeTraceFields } from './trace-context.js';

export type { Logger };

/**
 * createLogger makes the JSON logger of one service; LOG_LEVEL is read by the app's config. Every
 * line written inside a span carries that span's traceId and spanId.
 *
 * Lines are written to stdout at once, from the event loop. pino's default hands each write to
 * libuv's thread pool, which wakes a thread and then the loop again for every line: on a few shared
 * cores, those wake-ups cost more than the write, and a line is never left in memory by a crash.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: activeTraceFields,
    },
    pino.destination({ dest: 1, sync: true }),
  );
}
