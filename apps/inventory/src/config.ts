import { loadConsumerConfig, type ConsumerServiceConfig } from '@surety/messaging';

export type InventoryConfig = Readonly<ConsumerServiceConfig>;

export function loadInventoryConfig(env: Record<string, string | undefined> = process.env): InventoryConfig {
  return loadConsumerConfig(9103, env);
}
