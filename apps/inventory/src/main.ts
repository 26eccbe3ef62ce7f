import './instrument.js';
import { createLogger, runMain } from '@surety/telemetry';
import { loadInventoryConfig } from './config.js';
import { startInventory } from './service.js';

runMain(createLogger('inventory'), () => startInventory(loadInventoryConfig()));
