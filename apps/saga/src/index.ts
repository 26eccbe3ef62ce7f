export { startSaga } from './service.js';
export { loadSagaConfig, type SagaConfig } from './config.js';
export { applyResult } from './state-machine.js';
