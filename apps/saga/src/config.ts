import { loadConsumerConfig, type ConsumerServiceConfig } from '@surety/messaging';

export type SagaConfig = Readonly<ConsumerServiceConfig>;

export function loadSagaConfig(env: Record<string, string | undefined> = process.env): SagaConfig {
  return loadConsumerConfig(9104, env);
}
