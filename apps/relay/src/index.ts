export { startRelay, type RelayService } from './service.js';
export { loadRelayConfig, type RelayConfig } from './config.js';
export { PollingRelay } from './relay.js';
export { OutboxWakeup } from './wakeup.js';
