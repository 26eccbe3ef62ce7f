import './instrument.js';
import { createLogger, runMain } from '@surety/telemetry';
import { loadReconcilerConfig } from './config.js';
import { createReconciler, startReconciler } from './service.js';

const config = loadReconcilerConfig();
if (config.once) {
  // One pass and out: what a Kubernetes CronJob runs.
  const { reconciler, pool, logger } = createReconciler(config);
  reconciler
    .reconcileOnce()
    .then((report) => logger.info(report, 'pass done'))
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        logger.fatal({ err: error }, 'reconcile pass failed');
        process.exit(1);
      },
    );
} else {
  runMain(createLogger('reconciler'), () => startReconciler(config));
}
