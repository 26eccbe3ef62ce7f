import { loadInventoryConfig, startInventory } from '@surety/inventory';
import { loadNotificationConfig, startNotification } from '@surety/notification';
import { loadPaymentConfig, startPayment } from '@surety/payment';
import { loadSagaConfig, startSaga } from '@surety/saga';
import type { RunningService } from '@surety/telemetry';
import type { ConsumersConfig, HostableConsumer } from './config.js';

const starters: Record<HostableConsumer, (env: Record<string, string | undefined>) => Promise<RunningService>> = {
  payment: (env) => startPayment(loadPaymentConfig(env)),
  inventory: (env) => startInventory(loadInventoryConfig(env)),
  saga: (env) => startSaga(loadSagaConfig(env)),
  notification: (env) => startNotification(loadNotificationConfig(env)),
};

/**
 * startConsumers runs the named consumers in this one process, each exactly as it runs alone: its
 * own pool, broker connection, queue, inbox, transactions and probes. Only the process (its event
 * loop, heap and runtime) is shared, which is what a process per consumer costs on a few cores.
 * Should one fail to start, those already started are stopped.
 */
export async function startConsumers(config: ConsumersConfig): Promise<RunningService> {
  const running: RunningService[] = [];
  const stopAll = async () => {
    const results = await Promise.allSettled(running.map((service) => service.stop()));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  };
  try {
    for (const { name, env } of config.consumers) running.push(await starters[name](env));
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
  return { stop: stopAll };
}
