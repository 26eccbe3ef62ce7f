import type { Logger } from './logger.js';

export interface RunningService {
  /** Stops taking work, finishes what is in flight within the service's bound, closes. */
  stop(): Promise<void>;
}

/**
 * runMain starts a service and stops it cleanly on SIGTERM or SIGINT (exit 0); a failure to start,
 * or an error while stopping, exits 1 after logging it.
 */
export function runMain(logger: Logger, start: () => Promise<RunningService>): void {
  let stopping = false;
  start()
    .then((service) => {
      const shutdown = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        service.stop().then(
          () => {
            logger.info('stopped');
            process.exit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'failed to stop cleanly');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);
    })
    .catch((error: unknown) => {
      logger.fatal({ err: error }, 'failed to start');
      process.exit(1);
    });
}
