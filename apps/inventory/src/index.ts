export { startInventory } from './service.js';
export { loadInventoryConfig, type InventoryConfig } from './config.js';
