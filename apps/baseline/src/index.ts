export { startBaseline } from './service.js';
export { loadBaselineConfig, type BaselineConfig } from './config.js';
