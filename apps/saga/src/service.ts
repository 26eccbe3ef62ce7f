import { queues, startConsumerService, type ConsumerService } from '@surety/messaging';
import type { SagaConfig } from './config.js';
import { sagaHandler } from './handler.js';
import { OrderLatency } from './order-latency.js';
import { OrdersOfBatch } from './orders-of-batch.js';

export function startSaga(config: SagaConfig): Promise<ConsumerService> {
  return startConsumerService({
    name: 'saga',
    schema: 'orders',
    queue: queues.saga,
    config,
    handler: ({ registry }) => sagaHandler(new OrderLatency(registry)),
    beforeBatch: (events, tx) => OrdersOfBatch.lock(events, tx),
    afterBatch: (orders, tx) => orders.write(tx),
  });
}
