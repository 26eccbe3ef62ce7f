import { queues, startConsumerService, type ConsumerService } from '@surety/messaging';
import type { InventoryConfig } from './config.js';
import { inventoryHandler, lockBatch, writeBatch } from './handler.js';
import { reservationRoutes } from './reservations.js';

export function startInventory(config: InventoryConfig): Promise<ConsumerService> {
  return startConsumerService({
    name: 'inventory',
    schema: 'inventory',
    queue: queues.inventory,
    config,
    handler: () => inventoryHandler,
    beforeBatch: lockBatch,
    afterBatch: writeBatch,
    routes: reservationRoutes,
  });
}
