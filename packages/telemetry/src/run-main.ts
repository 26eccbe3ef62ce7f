import { runExitHooks } from './exit-hooks.js';
import type { Logger } from './logger.js';

export interface RunningService {
  /** Stops taking work, finishes what is in flight within the service's bound, closes. */
  stop(): Promise<void>;
}

/**
 * runMain starts a service and stops it cleanly on SIGTERM or SIGINT (exit 0), also when the
 * signal arrives while it is still starting; a failure to start, or to stop, exits 1 after logging.
 */
export function runMain(logger: Logger, start: () => Promise<RunningService>): void {
  const started = start();
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    started
      .then((service) => service.stop())
      .then(() => runExitHooks())
      .then(
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
  // Started by a supervisor that has died (even of SIGKILL): nobody reads this process's output any
  // more, and nobody will stop it. It goes as its supervisor would have stopped it, at once; every
  // guarantee holds across a kill -9. Logging first could block: the output pipe has no reader.
  if (process.channel) process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  started.catch((error: unknown) => {
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  });
}
