import './instrument.js';
import { createLogger, runMain } from '@surety/telemetry';
import { loadPaymentConfig } from './config.js';
import { startPayment } from './service.js';

runMain(createLogger('payment'), () => startPayment(loadPaymentConfig()));
