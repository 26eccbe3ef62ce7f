export { startApi, type ApiService } from './service.js';
export { loadApiConfig, type ApiConfig } from './config.js';
