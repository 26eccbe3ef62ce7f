import { Gauge, type Registry } from 'prom-client';

/** What a process's connections show of themselves: a broker link, a database pool. */
export interface Connections {
  broker?: { readonly connected: boolean };
  pool?: { readonly totalCount: number; readonly idleCount: number; readonly waitingCount: number };
}

/**
 * registerConnectionMetrics exports the state of a process's connections, read at scrape time:
 * `surety_broker_connected` (1 or 0) and `surety_db_pool_clients` by state.
 */
export function registerConnectionMetrics(registry: Registry, connections: Connections): void {
  const { broker, pool } = connections;
  if (broker) {
    new Gauge({
      name: 'surety_broker_connected',
      help: '1 while the connection to RabbitMQ is up, 0 while it is being re-established.',
      registers: [registry],
      collect() {
        this.set(broker.connected ? 1 : 0);
      },
    });
  }
  if (pool) {
    new Gauge({
      name: 'surety_db_pool_clients',
      help: 'PostgreSQL pool clients: open (total), idle, and requests waiting for one.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }
}
