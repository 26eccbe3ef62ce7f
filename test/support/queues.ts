import amqp from 'amqplib';
import { deadLetterQueueName, queues } from '@surety/messaging';

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
