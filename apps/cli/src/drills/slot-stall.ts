import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '@surety/db';
import type { Verdict } from './judge.js';

const MiB = 1024 ** 2;

/** What pg_replication_slots says of a slot now. */
export interface SlotSample {
  atSeconds: number;
  /** WAL the slot holds that its reader has not confirmed. */
  lagBytes: number;
  /** WAL the primary may still write before invalidating the slot; null without a limit or once lost. */
  safeBytes: number | null;
  walStatus: string | null;
}

export async function sampleSlot(pool: Pool, slot: string, since: number): Promise<SlotSample | undefined> {
  const { rows } = await pool.query<{ lag: number | null; safe: number | null; wal_status: string | null }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(confirmed_flush_lsn, restart_lsn))::float8 AS lag,
            safe_wal_size::float8 AS safe, wal_status
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    atSeconds: (Date.now() - since) / 1000,
    lagBytes: Number(row.lag ?? 0),
    safeBytes: row.safe === null ? null : Number(row.safe),
    walStatus: row.wal_status,
  };
}

/**
 * limitSlotWal sets max_slot_wal_keep_size for the whole server (a drill's own, small enough to
 * reach) and answers with what puts the old value back. ALTER SYSTEM outlives a restart: the old
 * value must be put back even when the drill fails.
 */
export async function limitSlotWal(pool: Pool, bytes: number): Promise<() => Promise<void>> {
  const { rows } = await pool.query<{ setting: string; sourcefile: string | null }>(
    `SELECT setting, sourcefile FROM pg_settings WHERE name = 'max_slot_wal_keep_size'`,
  );
  const before = rows[0];
  const wasAltered = before?.sourcefile?.endsWith('postgresql.auto.conf') === true;
  await pool.query(`ALTER SYSTEM SET max_slot_wal_keep_size = '${Math.round(bytes / MiB)}MB'`);
  await pool.query('SELECT pg_reload_conf()');
  return async () => {
    // Back to where the value came from: an earlier ALTER SYSTEM (in MB; -1 is no bound), or the configuration file.
    await pool.query(
      wasAltered
        ? `ALTER SYSTEM SET max_slot_wal_keep_size = '${before?.setting === '-1' ? '-1' : `${before?.setting}MB`}'`
        : 'ALTER SYSTEM RESET max_slot_wal_keep_size',
    );
    await pool.query('SELECT pg_reload_conf()');
  };
}

/**
 * fillWal writes WAL at about `bytesPerSecond` (non-transactional logical messages, which no
 * subscriber of the publication receives): the other write traffic of a busy primary, which a
 * stalled slot must keep as well. It answers with what stops it.
 */
export function fillWal(pool: Pool, bytesPerSecond: number): () => Promise<void> {
  const tickMs = 100;
  const chunk = 'x'.repeat(8 * 1024);
  const perTick = Math.max(1, Math.round((bytesPerSecond * tickMs) / 1000 / chunk.length));
  let running = true;
  const work = (async () => {
    while (running) {
      const started = Date.now();
      await pool
        .query(`SELECT pg_logical_emit_message(false, 'surety-drill-filler', $1) FROM generate_series(1, $2)`, [
          chunk,
          perTick,
        ])
        .catch(() => undefined);
      await sleep(Math.max(0, tickMs - (Date.now() - started)));
    }
  })();
  return async () => {
    running = false;
    await work;
  };
}

/** alertFiring asks Prometheus whether an alert is firing for a slot. */
export async function alertFiring(prometheusUrl: string, alertname: string, slot: string): Promise<boolean> {
  const response = await fetch(`${prometheusUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) return false;
  const body = (await response.json()) as {
    data: { alerts: { labels: Record<string, string>; state: string }[] };
  };
  return body.data.alerts.some(
    (alert) => alert.labels.alertname === alertname && alert.labels.slot === slot && alert.state === 'firing',
  );
}

/** lagCurve prints samples as `t s: lag MiB`, at most `points` of them, evenly spread. */
export function lagCurve(samples: readonly SlotSample[], points = 12): string {
  if (samples.length === 0) return 'no samples';
  const step = Math.max(1, Math.ceil(samples.length / points));
  const picked = samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
  return picked.map((s) => `${Math.round(s.atSeconds)} s ${(s.lagBytes / MiB).toFixed(0)} MiB`).join(', ');
}

/**
 * stallVerdict judges the stall from its samples: the alert must have fired while the slot still
 * held less WAL than the limit, and the slot must never have been lost.
 */
export function stallVerdict(
  samples: readonly SlotSample[],
  firedAt: SlotSample | undefined,
  limitBytes: number,
): Verdict {
  const maxLag = Math.max(0, ...samples.map((s) => s.lagBytes));
  const lost = samples.some((s) => s.walStatus === 'lost');
  const pass = firedAt !== undefined && firedAt.lagBytes < limitBytes && !lost;
  const when = firedAt
    ? `SuretyReplicationSlotLagHigh fired in the live Prometheus at ${Math.round(firedAt.atSeconds)} s with ${(firedAt.lagBytes / MiB).toFixed(0)} MiB kept of the ${(limitBytes / MiB).toFixed(0)} MiB max_slot_wal_keep_size`
    : `SuretyReplicationSlotLagHigh never fired (the slot reached ${(maxLag / MiB).toFixed(0)} MiB of ${(limitBytes / MiB).toFixed(0)} MiB)`;
  return {
    invariant: 'slot-lag alarm before the WAL limit',
    verdict: pass ? 'PASS' : 'FAIL',
    evidence: `${when}; slot ${lost ? 'LOST' : 'never lost'}; lag: ${lagCurve(samples)}`,
  };
}
