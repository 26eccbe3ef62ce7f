import './instrument.js';
import { createLogger, runMain } from '@surety/telemetry';
import { loadRelayConfig } from './config.js';
import { startRelay } from './service.js';

runMain(createLogger('relay'), () => startRelay(loadRelayConfig()));
