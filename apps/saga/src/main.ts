import './instrument.js';
import { createLogger, runMain } from '@surety/telemetry';
import { loadSagaConfig } from './config.js';
import { startSaga } from './service.js';

runMain(createLogger('saga'), () => startSaga(loadSagaConfig()));
