export { startConsumers } from './service.js';
export { hostableConsumers, loadConsumersConfig, ownVariable, portVariable, type HostableConsumer } from './config.js';
