export { startGateway, type GatewayService } from './service.js';
export { loadGatewayConfig, type GatewayConfig } from './config.js';
