import type { Channel } from 'amqplib';
import { keyHeaders, type PartitionKey, type EventType } from '@surety/contracts';
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

/**
 * A route by key, for a consumer that needs its messages in order per key: a consistent-hash
 * exchange (RabbitMQ's bundled plugin rabbitmq_consistent_hash_exchange) spreads the bound events
 * over `partitions` quorum queues by one of the events' key headers, so that every event of one key
 * lands in the same queue; each queue lets one consumer at a time take from it (single active
 * consumer), which keeps its order. The partitions bound the consumer's parallelism: more
 * replicas than partitions stand by.
 */
export interface PartitionedRoute {
  /** The exchange's name; its queues are `<name>.p<i>`. */
  name: string;
  partitions: number;
  /** The key whose events must stay in order. */
  key: PartitionKey;
  bindings: readonly EventType[];
}

export function partitionQueueNames(route: PartitionedRoute): string[] {
  return Array.from({ length: route.partitions }, (_, i) => `${route.name}.p${i}`);
}

/** declarePartitionedRoute asserts a route's exchange, its partitions with their DLQs, and its bindings; idempotent. */
export async function declarePartitionedRoute(channel: Channel, route: PartitionedRoute): Promise<void> {
  await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
  await channel.assertExchange(route.name, 'x-consistent-hash', {
    durable: true,
    arguments: { 'hash-header': keyHeaders[route.key] },
  });
  for (const routingKey of route.bindings) await channel.bindExchange(route.name, EVENTS_EXCHANGE, routingKey);
  for (const name of partitionQueueNames(route)) {
    await channel.assertQueue(deadLetterQueueName(name), { durable: true, arguments: deadLetterQueueArguments });
    await channel.assertQueue(name, {
      durable: true,
      arguments: { ...queueArguments(name), 'x-single-active-consumer': true },
    });
    // The binding key of a consistent-hash exchange is the partition's weight: all equal.
    await channel.bindQueue(name, route.name, '1');
  }
}

/** deletePartitionedRoute removes what declarePartitionedRoute made. */
export async function deletePartitionedRoute(channel: Channel, route: PartitionedRoute): Promise<void> {
  await channel.deleteExchange(route.name);
  for (const name of partitionQueueNames(route)) {
    await channel.deleteQueue(name);
    await channel.deleteQueue(deadLetterQueueName(name));
  }
}
