import './instrument.js';
import { createLogger, runMain } from '@surety/telemetry';
import { loadConsumersConfig } from './config.js';
import { startConsumers } from './service.js';

runMain(createLogger('consumers'), () => startConsumers(loadConsumersConfig()));
