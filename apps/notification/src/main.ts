import './instrument.js';
import { createLogger, runMain } from '@surety/telemetry';
import { loadNotificationConfig } from './config.js';
import { startNotification } from './service.js';

runMain(createLogger('notification'), () => startNotification(loadNotificationConfig()));
