import { Gauge, type Registry } from 'prom-client';
import { oneReadPerScrape } from './metrics.js';

/** What the gauges need of a database pool. */
export interface SlotQueries {
  query<R>(text: string): Promise<{ rows: R[] }>;
}

interface SlotState {
  slot: string;
  lag: number;
  safe: number | null;
}

/**
 * registerReplicationSlotMetrics exports, for each of Surety's logical replication slots, the WAL
 * it holds that its reader has not confirmed (`surety_replication_slot_lag_bytes{slot}`) and the
 * WAL the primary may still write before it invalidates the slot under max_slot_wal_keep_size
 * (`surety_replication_slot_safe_wal_bytes{slot}`, no series without a limit). No slot, no series:
 * the polling relay reads the outbox without one. The relays and the api export them: a hung relay
 * cannot report the lag it causes.
 */
export function registerReplicationSlotMetrics(registry: Registry, pool: SlotQueries): void {
  const read = oneReadPerScrape(() =>
    pool
      .query<SlotState>(
        `SELECT slot_name AS slot,
                pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(confirmed_flush_lsn, restart_lsn))::float8 AS lag,
                safe_wal_size::float8 AS safe
           FROM pg_replication_slots
          WHERE slot_name LIKE 'surety%' AND database = current_database()`,
      )
      .then((result) => result.rows),
  );
  new Gauge({
    name: 'surety_replication_slot_lag_bytes',
    help: 'WAL bytes a Surety replication slot holds that its reader has not confirmed.',
    labelNames: ['slot'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await read()) this.set({ slot: row.slot }, row.lag ?? 0);
    },
  });
  new Gauge({
    name: 'surety_replication_slot_safe_wal_bytes',
    help: 'WAL bytes the primary may still write before max_slot_wal_keep_size invalidates a Surety replication slot.',
    labelNames: ['slot'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await read()) if (row.safe !== null) this.set({ slot: row.slot }, row.safe);
    },
  });
}
