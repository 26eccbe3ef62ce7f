import './instrument.js';
import { createLogger, runMain } from '@surety/telemetry';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './service.js';

runMain(createLogger('gateway'), () => startGateway(loadGatewayConfig()));
