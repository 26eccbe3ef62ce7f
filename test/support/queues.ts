import amqp from 'amqplib';
import type { AnyEvent } from '@surety/contracts';
import { deadLetterQueueName, EVENTS_EXCHANGE, queues } from '@surety/messaging';

/**
 * publishEvents puts events on the events exchange the way the relay does (messageId, type,
 * persistent), bypassing every outbox, and waits for the broker's confirms.
 */
export async function publishEvents(channel: amqp.ConfirmChannel, events: readonly AnyEvent[]): Promise<void> {
  for (const event of events) {
    channel.publish(EVENTS_EXCHANGE, event.type, Buffer.from(JSON.stringify(event)), {
      messageId: event.id,
      type: event.type,
      contentType: 'application/json',
      persistent: true,
    });
  }
  await channel.waitForConfirms();
}

/** deadLetterDepths counts the messages ready in every consumer's DLQ, straight from the broker. */
export async function deadLetterDepths(amqpUrl: string): Promise<Record<string, number>> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    const depths: Record<string, number> = {};
    for (const { name } of Object.values(queues)) {
      const dlq = deadLetterQueueName(name);
      depths[dlq] = (await channel.checkQueue(dlq)).messageCount;
    }
    return depths;
  } finally {
    await connection.close();
  }
}

export const emptyDeadLetterQueues = Object.fromEntries(
  Object.values(queues).map(({ name }) => [deadLetterQueueName(name), 0]),
);
