import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, currentHostOf, type Pool } from '@surety/db';
import { createLogger } from '@surety/telemetry';
import { cluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

// A Postgres primary and a synchronous streaming standby, each a host of its own
// (scripts/cluster.sh pg-up), and an app's pool given both in one multi-host URL.

function leftovers(): string[] {
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  return [...`${namespaces}\n${links}`.matchAll(/surety-pg\d|suretybr0/g)].map((match) => match[0]);
}

interface Writes {
  acknowledged: number[];
  refusals: number;
  /** From the first refused write to the last, in ms. */
  unavailableMs: number;
}

/**
 * writeUntil inserts ids 1..count one at a time, as a careful client: a refused write is sent again
 * (the same id, so it is applied once) until acknowledged. `onWritten` hears each acknowledged id.
 */
async function writeAll(pool: Pool, count: number, onWritten: (id: number) => Promise<void>): Promise<Writes> {
  const writes: Writes = { acknowledged: [], refusals: 0, unavailableMs: 0 };
  let firstRefusal = 0;
  let lastRefusal = 0;
  for (let id = 1; id <= count; id++) {
    for (;;) {
      try {
        await pool.query('INSERT INTO failover_test (id) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
        break;
      } catch {
        writes.refusals += 1;
        lastRefusal = Date.now();
        firstRefusal ||= lastRefusal;
        await sleep(100);
      }
    }
    writes.acknowledged.push(id);
    await onWritten(id);
  }
  writes.unavailableMs = lastRefusal - firstRefusal;
  return writes;
}

describe('a Postgres primary and its synchronous standby, each in its own network namespace', () => {
  let pool: Pool | undefined;

  beforeAll(async () => {
    await cluster('reset');
    await cluster('pg-up');
  }, 300_000);

  afterAll(async () => {
    await pool?.end();
    await cluster('reset');
    expect(leftovers(), 'namespaces and bridge removed').toEqual([]);
  }, 120_000);

  it('an app given both hosts writes through a failover to the promoted standby, loses nothing acknowledged, and the old primary rejoins', async () => {
    const url = await cluster('pg-url');
    pool = createPool(url, createLogger('failover-test', 'silent'), { max: 4 });
    await pool.query('CREATE TABLE failover_test (id int PRIMARY KEY)');
    const serverOf = async () => (await pool!.query<{ a: string }>('SELECT host(inet_server_addr()) AS a')).rows[0]?.a;
    expect(await serverOf()).toBe('10.231.0.21');
    // What a one-host connection (the CDC relay's replication) is given: the primary the pool found.
    expect(currentHostOf(url)).toMatch(/@10\.231\.0\.21:5432\//);

    // Listed first, the standby is passed over: its connection is refused, and the next goes to the primary.
    const standbyFirst = createPool(
      'postgres://postgres@10.231.0.22:5432,10.231.0.21:5432/surety?target_session_attrs=read-write',
      createLogger('failover-test', 'silent'),
      { max: 1 },
    );
    try {
      await expect(standbyFirst.query('SELECT 1')).rejects.toThrow(/10\.231\.0\.22:5432 takes no writes/);
      const again = await standbyFirst.query<{ a: string }>('SELECT host(inet_server_addr()) AS a');
      expect(again.rows[0]?.a).toBe('10.231.0.21');
    } finally {
      await standbyFirst.end();
    }

    const writes = await writeAll(pool, 300, async (id) => {
      if (id !== 100) return;
      // The primary dies with writes in flight; an operator (CloudNativePG, on Kubernetes) promotes the standby.
      await cluster('pg-kill', 1);
      await cluster('pg-promote', 2);
    });

    const stored = await pool.query<{ id: number }>('SELECT id FROM failover_test ORDER BY id');
    const lost = writes.acknowledged.filter((id) => !stored.rows.some((row) => row.id === id));
    expect(lost, 'acknowledged, then lost').toEqual([]);
    expect(stored.rows).toHaveLength(300);
    expect(await serverOf()).toBe('10.231.0.22');
    expect(currentHostOf(url)).toMatch(/@10\.231\.0\.22:5432\//);
    // The pool found the new primary without a restart: a few writes were refused on the way.
    expect(writes.refusals).toBeGreaterThan(0);
    expect(writes.unavailableMs).toBeLessThan(30_000);

    await cluster('pg-rejoin', 1);
    expect(await cluster('pg-primary')).toBe('2');
    const standby = createPool('postgres://postgres@10.231.0.21:5432/surety', createLogger('failover-test', 'silent'));
    try {
      await waitFor(
        'the old primary, now a standby, to have every row',
        async () =>
          (
            await standby.query<{ n: number; standby: boolean }>(
              'SELECT count(*)::int AS n, pg_is_in_recovery() AS standby FROM failover_test',
            )
          ).rows[0],
        (row) => row?.standby === true && row.n === 300,
      );
    } finally {
      await standby.end();
    }
  });
});
