import { Gauge, type Registry } from 'prom-client';
import type { Pool } from '@surety/db';

const states = ['PENDING', 'CONFIRMED', 'CANCELLED'] as const;

/**
 * registerOrderStateMetrics exports `surety_orders{state}`, counted at scrape time. The count is a
 * query per scrape, cheap at this scale; a busy deployment would keep running counts instead.
 */
export function registerOrderStateMetrics(registry: Registry, pool: Pick<Pool, 'query'>): void {
  new Gauge({
    name: 'surety_orders',
    help: 'Orders by state.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const { rows } = await pool.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM orders.orders GROUP BY status',
      );
      const counts = new Map(rows.map((row) => [row.status, row.n]));
      for (const state of states) this.set({ state }, counts.get(state) ?? 0);
    },
  });
}
