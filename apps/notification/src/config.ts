import { loadConsumerConfig, type ConsumerServiceConfig } from '@surety/messaging';

export type NotificationConfig = Readonly<ConsumerServiceConfig>;

export function loadNotificationConfig(env: Record<string, string | undefined> = process.env): NotificationConfig {
  return loadConsumerConfig(9105, env);
}
