export { startConsumers } from './service.js';
export { hostableConsumers, loadConsumersConfig, portVariable, type HostableConsumer } from './config.js';
