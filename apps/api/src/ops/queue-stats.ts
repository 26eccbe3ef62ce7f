import { deadLetterQueueName, managementClient, queues, vhostOf } from '@surety/messaging';

export interface QueueStats {
  queue: string;
  consumer: string;
  ready: number;
  unacked: number;
  /** Consumers attached to the queue: the replicas of that consumer that are running. */
  consumers: number;
  deadLetters: number;
}

interface ManagementQueue {
  name: string;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
}

/**
 * queueStatsReader reads, through RabbitMQ's management API, each consumer queue's depth and
 * consumers and its dead-letter queue's depth, in the vhost the api publishes to.
 */
export function queueStatsReader(managementUrl: string, amqpUrl: string) {
  const management = managementClient(managementUrl);
  const vhost = encodeURIComponent(vhostOf(amqpUrl));
  return async (): Promise<QueueStats[]> => {
    const response = await management(
      `/queues/${vhost}?columns=name,messages_ready,messages_unacknowledged,consumers`,
      { signal: AbortSignal.timeout(5_000) },
    );
    if (!response.ok) throw new Error(`RabbitMQ management answered ${response.status}`);
    const byName = new Map(((await response.json()) as ManagementQueue[]).map((q) => [q.name, q]));
    return Object.entries(queues).map(([consumer, spec]) => {
      const queue = byName.get(spec.name);
      return {
        queue: spec.name,
        consumer,
        ready: queue?.messages_ready ?? 0,
        unacked: queue?.messages_unacknowledged ?? 0,
        consumers: queue?.consumers ?? 0,
        deadLetters: byName.get(deadLetterQueueName(spec.name))?.messages_ready ?? 0,
      };
    });
  };
}
