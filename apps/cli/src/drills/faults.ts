import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import type { DrillSize } from './catalogue.js';

/** The queues poison-message fills. */
export const poisonQueues = ['payment.orders', 'saga.results'] as const;

/** poisonCount is how many poison messages go into each queue for a drill of this size. */
export function poisonCount(size: DrillSize): number {
  return Math.max(4, Math.round(size.orders / 20));
}

/** injectPoison publishes malformed JSON and undecodable bytes straight into a queue; returns their message ids. */
export async function injectPoison(amqpUrl: string, queue: string, count: number): Promise<string[]> {
  const connection = await amqp.connect(amqpUrl);
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
