import type { Channel } from 'amqplib';
import type { EventType } from '@surety/contracts';
import { retryQueueName } from './retry-policy.js';

/** The one exchange every event is published to, routed by its type. */
export const EVENTS_EXCHANGE = 'surety.events';

/**
 * Deliveries after which a quorum queue dead-letters a message that keeps failing without an
 * answer (it crashed the consumer each time). Declared, never left to the broker version's default.
 */
export const DEFAULT_DELIVERY_LIMIT = 10;

export interface QueueSpec {
  /** `<consumer>.<purpose>` */
  name: string;
  bindings: readonly EventType[];
  /** Deliveries before the broker dead-letters a message; DEFAULT_DELIVERY_LIMIT unless set. */
  deliveryLimit?: number;
}

/** Every consumer queue and what it is bound to; Kubernetes topology must match this list. */
export const queues = {
  payment: { name: 'payment.orders', bindings: ['order.placed', 'order.cancelled'] },
  inventory: { name: 'inventory.orders', bindings: ['order.placed', 'order.cancelled'] },
  saga: {
    name: 'saga.results',
    bindings: [
      'payment.captured',
      'payment.declined',
      'payment.refunded',
      'stock.reserved',
      'stock.rejected',
      'stock.released',
      'notification.sent',
    ],
  },
  notification: { name: 'notification.orders', bindings: ['order.confirmed', 'order.cancelled'] },
} as const satisfies Record<string, QueueSpec>;

export type ConsumerName = keyof typeof queues;

export function deadLetterQueueName(queue: string): string {
  return `${queue}.dlq`;
}

/**
 * queueArguments are the quorum queue's declared failure semantics: a delivery limit, and
 * at-least-once dead-lettering to its DLQ (which quorum queues honour only with reject-publish
 * overflow; otherwise they silently fall back to at-most-once).
 */
export function queueArguments(queue: string, deliveryLimit = DEFAULT_DELIVERY_LIMIT) {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': deliveryLimit,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': deadLetterQueueName(queue),
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

/**
 * A DLQ is inspected by fetching and requeueing its messages, which counts as a delivery; its
 * limit is declared far out of reach so that inspecting never drops a dead letter (RabbitMQ 4
 * would otherwise apply its default of 20).
 */
export const deadLetterQueueArguments = { 'x-queue-type': 'quorum', 'x-delivery-limit': 1_000_000 };

/**
 * retryQueueArguments make `<queue>.retry.<delay>` hold a retry copy for `delayMs`, then
 * dead-letter it back to its queue at least once.
 */
export function retryQueueArguments(queue: string, delayMs: number) {
  return {
    'x-queue-type': 'quorum',
    'x-message-ttl': delayMs,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queue,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

/** declareRetryQueues asserts a queue's delay tiers; idempotent. */
export async function declareRetryQueues(channel: Channel, queue: string, delaysMs: readonly number[]): Promise<void> {
  for (const delayMs of new Set(delaysMs)) {
    await channel.assertQueue(retryQueueName(queue, delayMs), {
      durable: true,
      arguments: retryQueueArguments(queue, delayMs),
    });
  }
}

/** declareTopology asserts the exchange, every queue, its DLQ and its bindings; idempotent. */
export async function declareTopology(
  channel: Channel,
  specs: readonly QueueSpec[] = Object.values(queues),
): Promise<void> {
  await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
  for (const spec of specs) {
    await channel.assertQueue(deadLetterQueueName(spec.name), { durable: true, arguments: deadLetterQueueArguments });
    await channel.assertQueue(spec.name, { durable: true, arguments: queueArguments(spec.name, spec.deliveryLimit) });
    for (const routingKey of spec.bindings) {
      await channel.bindQueue(spec.name, EVENTS_EXCHANGE, routingKey);
    }
  }
}
