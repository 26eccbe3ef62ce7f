import { Gauge, type Registry } from 'prom-client';
import type { Pool } from '@surety/db';

/**
 * registerReplicationSlotMetrics exports how far behind the database's WAL each of Surety's
 * logical replication slots is (`surety_replication_slot_lag_bytes{slot}`): WAL a slot holds and
 * its reader has not confirmed. No slot, no series: the polling relay reads the outbox without one.
 */
export function registerReplicationSlotMetrics(registry: Registry, pool: Pick<Pool, 'query'>): void {
  new Gauge({
    name: 'surety_replication_slot_lag_bytes',
    help: 'WAL bytes a Surety replication slot holds that its reader has not confirmed.',
    labelNames: ['slot'],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ slot: string; lag: number }>(
        `SELECT slot_name AS slot,
                pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(confirmed_flush_lsn, restart_lsn))::float8 AS lag
           FROM pg_replication_slots
          WHERE slot_name LIKE 'surety%' AND database = current_database()`,
      );
      for (const row of rows) this.set({ slot: row.slot }, row.lag ?? 0);
    },
  });
}
