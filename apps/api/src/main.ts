import './instrument.js';
import { createLogger, runMain } from '@surety/telemetry';
import { loadApiConfig } from './config.js';
import { startApi } from './service.js';

runMain(createLogger('api'), () => startApi(loadApiConfig()));
