import { createLogger, runMain } from '@surety/telemetry';
import { loadBaselineConfig } from './config.js';
import { startBaseline } from './service.js';

runMain(createLogger('baseline'), () => startBaseline(loadBaselineConfig()));
