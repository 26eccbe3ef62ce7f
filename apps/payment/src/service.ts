import { queues, startConsumerService, type ConsumerService } from '@surety/messaging';
import type { PaymentConfig } from './config.js';
import { GatewayClient } from './gateway-client.js';
import { lockPaymentsOfBatch, paymentHandler, writePaymentsOfBatch } from './handler.js';

export function startPayment(config: PaymentConfig): Promise<ConsumerService> {
  return startConsumerService({
    name: 'payment',
    schema: 'payments',
    queue: queues.payment,
    config,
    // Each order waits on the gateway: different orders of a batch wait side by side.
    concurrency: 'orders-in-parallel',
    handler: (deps) =>
      paymentHandler(new GatewayClient(config.gatewayUrl, config.gatewayTimeoutMs, config.breaker, deps)),
    beforeBatch: lockPaymentsOfBatch,
    afterBatch: writePaymentsOfBatch,
  });
}
