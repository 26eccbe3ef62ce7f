import { queues, startConsumerService, type ConsumerService } from '@surety/messaging';
import type { NotificationConfig } from './config.js';
import { notificationHandler, NotificationsOfBatch } from './handler.js';

export function startNotification(config: NotificationConfig): Promise<ConsumerService> {
  return startConsumerService({
    name: 'notification',
    schema: 'notifications',
    queue: queues.notification,
    config,
    handler: () => notificationHandler,
    beforeBatch: async () => new NotificationsOfBatch(),
    afterBatch: (sent, tx) => sent.write(tx),
  });
}
