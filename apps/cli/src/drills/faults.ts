import { randomUUID } from 'node:crypto';
import { connectAny, declareTopology, EVENTS_EXCHANGE } from '@surety/messaging';
import type { DrillSize } from './catalogue.js';

/** The queues poison-message fills. */
export const poisonQueues = ['payment.orders', 'saga.results'] as const;

/** poisonCount is how many poison messages go into each queue for a drill of this size. */
export function poisonCount(size: DrillSize): number {
  return Math.max(4, Math.round(size.orders / 20));
}

/** injectPoison publishes malformed JSON and undecodable bytes straight into a queue; returns their message ids. */
export async function injectPoison(amqpUrl: string, queue: string, count: number): Promise<string[]> {
  const connection = await connectAny(amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      ids.push(id);
      const body = i % 2 === 0 ? Buffer.from('{"id": "cut short') : Buffer.from([0xde, 0xad, 0xbe, 0xef]);
      channel.sendToQueue(queue, body, { messageId: id, type: 'order.placed', persistent: true });
    }
    await channel.waitForConfirms();
    return ids;
  } finally {
    await connection.close();
  }
}

/** Marks a copy the duplicate storm made, so that it is never copied again. */
const copyHeader = 'x-drill-copy';

export interface DuplicateStorm {
  /** Events sent a second time so far. */
  copies(): number;
  /** What broke the storm's connection, if anything did. */
  failure(): Error | undefined;
  /** stop ends the storm once every copy sent is confirmed by the broker; a second call waits for the first. */
  stop(): Promise<void>;
}

/**
 * startDuplicateStorm makes every event arrive twice, as it would from a publisher that crashed
 * between the broker's confirm and its mark, and from nothing inside the apps: a queue of the
 * drill's own, bound to every event type, hands each event it sees back to the exchange once more,
 * with its routing key, message id, headers and body. The queue deletes itself once its consumer
 * is gone: with the drill's connection, however the drill ends.
 */
export async function startDuplicateStorm(amqpUrl: string): Promise<DuplicateStorm> {
  const connection = await connectAny(amqpUrl);
  let failure: Error | undefined;
  connection.on('error', (error: Error) => (failure ??= error));
  const channel = await connection.createConfirmChannel();
  await declareTopology(channel);
  // Not exclusive: the drill's probe reads every queue's depth from another connection.
  const { queue } = await channel.assertQueue('drill.duplicate-storm', {
    durable: false,
    autoDelete: true,
    arguments: { 'x-queue-type': 'classic' },
  });
  await channel.bindQueue(queue, EVENTS_EXCHANGE, '#');
  let copies = 0;
  await channel.consume(queue, (message) => {
    if (!message) return;
    const { headers = {}, ...properties } = message.properties;
    if (!headers[copyHeader]) {
      channel.publish(EVENTS_EXCHANGE, message.fields.routingKey, message.content, {
        ...properties,
        headers: { ...headers, [copyHeader]: true },
      });
      copies += 1;
    }
    channel.ack(message);
  });
  let stopped: Promise<void> | undefined;
  return {
    copies: () => copies,
    failure: () => failure,
    stop: () => (stopped ??= channel.waitForConfirms().finally(() => connection.close())),
  };
}
