import { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from './logger.js';

/**
 * httpLogging hands a service's pino logger to Fastify without per-request lines: services log one
 * line per outcome that matters (an order accepted, a message handled), not one per request.
 */
export function httpLogging(logger: Logger) {
  return {
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  };
}
