export * from './logger.js';
export * from './metrics.js';
export * from './ops-server.js';
export * from './run-main.js';
export * from './http-logging.js';
export * from './trace-context.js';
export * from './connection-metrics.js';
export * from './trace-waterfall.js';
