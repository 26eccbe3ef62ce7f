import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '@surety/db';
import { pendingSince } from './traffic.js';

/** What became of the orders of one customer prefix. */
export interface WorkDone {
  recorded: number;
  confirmed: number;
  cancelled: number;
  pending: number;
}

/** GatewayEvidence counts `/charges` requests in the gateway's own log for the orders of one prefix. */
export interface GatewayEvidence {
  chargeRequests: number;
  refusedByOutage: number;
  captured: number;
  ordersCharged: number;
}

/** workOf counts the orders of a customer prefix by status. */
export async function workOf(pool: Pool, prefix: string): Promise<WorkDone> {
  const found = await pool.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM orders.orders WHERE customer_id LIKE $1 || '-%' GROUP BY status`,
    [prefix],
  );
  const of = (status: string) => found.rows.find((r) => r.status === status)?.n ?? 0;
  return {
    recorded: found.rows.reduce((sum, r) => sum + r.n, 0),
    confirmed: of('CONFIRMED'),
    cancelled: of('CANCELLED'),
    pending: of('PENDING'),
  };
}

/** gatewayEvidence reads the gateway's request log for the orders of a prefix. */
export async function gatewayEvidence(pool: Pool, prefix: string): Promise<GatewayEvidence> {
  const found = await pool.query<{ requests: number; refused: number; captured: number; orders: number }>(
    `SELECT count(*)::int AS requests,
            count(*) FILTER (WHERE r.fault = 'failure')::int AS refused,
            count(*) FILTER (WHERE r.response_status IN (200, 201) AND NOT r.replayed)::int AS captured,
            count(DISTINCT r.order_id) FILTER (WHERE r.response_status IN (200, 201))::int AS orders
       FROM gateway.requests r JOIN orders.orders o ON o.id = r.order_id
      WHERE r.path = '/charges' AND o.customer_id LIKE $1 || '-%'`,
    [prefix],
  );
  const row = found.rows[0];
  return {
    chargeRequests: row?.requests ?? 0,
    refusedByOutage: row?.refused ?? 0,
    captured: row?.captured ?? 0,
    ordersCharged: row?.orders ?? 0,
  };
}

/** waitUntilSettled waits until no order of the prefix is PENDING; it returns the seconds waited, or null at the deadline. */
export async function waitUntilSettled(
  pool: Pool,
  prefix: string,
  timeoutMs: number,
  say: (line: string) => void,
): Promise<number | null> {
  const started = Date.now();
  let lastSaid = 0;
  for (;;) {
    const pending = await pendingSince(pool, new Date(0), prefix);
    if (pending === 0) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeoutMs) return null;
    if (Date.now() - lastSaid > 5_000) {
      say(`  ${pending} ${prefix} orders still pending`);
      lastSaid = Date.now();
    }
    await sleep(500);
  }
}
