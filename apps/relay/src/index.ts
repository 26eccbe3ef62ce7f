export { startRelay, type RelayService } from './service.js';
export { loadRelayConfig, type RelayConfig } from './config.js';
export { PollingRelay } from './relay.js';
export { CdcRelay } from './cdc-relay.js';
export { RowPublisher } from './row-publisher.js';
export { OutboxWakeup, TimerWakeup } from './wakeup.js';
