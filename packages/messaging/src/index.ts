export * from './topology.js';
export * from './broker.js';
export * from './publisher.js';
export * from './retry-policy.js';
export * from './consumer.js';
export * from './consumer-service.js';
export * from './dead-letters.js';
export * from './dead-letter-audit.js';
