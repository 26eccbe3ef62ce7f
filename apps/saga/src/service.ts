import { queues, startConsumerService, type ConsumerService } from '@surety/messaging';
import type { SagaConfig } from './config.js';
import { lockOrdersOfBatch, sagaHandler } from './handler.js';
import { OrderLatency } from './order-latency.js';

export function startSaga(config: SagaConfig): Promise<ConsumerService> {
  return startConsumerService({
    name: 'saga',
    schema: 'orders',
    queue: queues.saga,
    config,
    handler: ({ registry }) => sagaHandler(new OrderLatency(registry)),
    beforeBatch: lockOrdersOfBatch,
  });
}
