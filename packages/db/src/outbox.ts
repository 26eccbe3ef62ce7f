import { keyHeadersOf, validateEvent, type Envelope, type EventType } from '@surety/contracts';
import { activeTraceHeaders } from '@surety/telemetry';
import type { Pool, PoolClient } from './pool.js';
import type { SchemaName } from './schemas.js';
import { channels, notifyAfterCommit, notifySoon } from './notifications.js';
import { sendInTransaction } from './transaction.js';

/** The AMQP headers an outbox row carries to the broker (trace context, correlation, the event's keys). */
export type OutboxHeaders = Record<string, string>;

/** An event ready to be written to an outbox: validated, with the headers it will travel with. */
export interface OutboxEntry {
  event: Envelope<EventType>;
  /** The event as JSON, serialized once: the outbox row stores it and the message body carries it. */
  envelope: string;
  headers: OutboxHeaders;
}

/**
 * outboxEntry validates an event and fixes its headers now: the trace context of the running span
 * (the request or message that caused the event), which the relay continues; `headers` passed in
 * are the fallback when no span is running. An invalid event throws here, failing its transaction
 * instead of reaching the broker.
 */
export function outboxEntry<T extends EventType>(event: Envelope<T>, headers: OutboxHeaders = {}): OutboxEntry {
  validateEvent(event);
  return {
    event,
    envelope: JSON.stringify(event),
    headers: { 'x-correlation-id': event.correlationId, ...headers, ...keyHeadersOf(event), ...activeTraceHeaders() },
  };
}

/**
 * appendManyToOutbox writes events into a schema's outbox inside the caller's transaction
 * (withTransaction), in one statement, so they exist exactly when the state change that caused them
 * commits. The statement is sent, not waited for: it travels with the COMMIT, which it fails if it
 * fails.
 */
export function appendManyToOutbox(
  client: PoolClient,
  schema: SchemaName,
  entries: readonly OutboxEntry[],
  options: { wakeRelay: boolean } = { wakeRelay: true },
): void {
  if (entries.length === 0) return;
  // The envelopes and headers travel as JSON arrays, the envelopes as the text already serialized:
  // as jsonb[] parameters, pg would copy each one twice to escape its quotes into an array literal.
  void sendInTransaction(client, {
    name: `outbox-append-${schema}`,
    text: `INSERT INTO ${schema}.outbox (id, order_id, type, envelope, headers)
           SELECT * FROM ROWS FROM (unnest($1::uuid[]), unnest($2::uuid[]), unnest($3::text[]),
                                    jsonb_array_elements($4::jsonb), jsonb_array_elements($5::jsonb))`,
    values: [
      entries.map((e) => e.event.id),
      entries.map((e) => e.event.orderId),
      entries.map((e) => e.event.type),
      `[${entries.map((e) => e.envelope).join(',')}]`,
      JSON.stringify(entries.map((e) => e.headers)),
    ],
  });
  if (options.wakeRelay) notifyAfterCommit(client, channels.outbox, schema);
}

/** appendToOutbox writes one event into a schema's outbox inside the caller's transaction. */
export function appendToOutbox<T extends EventType>(
  client: PoolClient,
  schema: SchemaName,
  event: Envelope<T>,
  headers: OutboxHeaders = {},
): void {
  appendManyToOutbox(client, schema, [outboxEntry(event, headers)]);
}

/**
 * outboxInsertStatement is appendToOutbox as one data-modifying clause, for a caller that writes its
 * state change and its event in a single statement (one round trip, its own transaction): the clause
 * inserts the entry only when `condition` (SQL over the statement's other clauses) holds. Its
 * placeholders start at `$firstParameter`; `values` fills them. Once the statement succeeded, the
 * caller hands the entry to its dispatcher, or wakes the relay with `notifyOutboxSoon`.
 */
export function outboxInsertStatement(
  schema: SchemaName,
  entry: OutboxEntry,
  firstParameter: number,
  condition: string,
): { text: string; values: unknown[] } {
  const p = (offset: number) => `$${firstParameter + offset}`;
  return {
    text: `INSERT INTO ${schema}.outbox (id, order_id, type, envelope, headers)
           SELECT ${p(0)}::uuid, ${p(1)}::uuid, ${p(2)}::text, ${p(3)}::jsonb, ${p(4)}::jsonb WHERE ${condition}`,
    values: [entry.event.id, entry.event.orderId, entry.event.type, entry.envelope, JSON.stringify(entry.headers)],
  };
}

/** notifyOutboxSoon wakes the relays for a schema whose outbox got rows outside withTransaction. */
export function notifyOutboxSoon(pool: Pool, schema: SchemaName): void {
  notifySoon(pool, [{ channel: channels.outbox, payload: schema }]);
}

/** A row as the relay publishes it: the envelope as stored text, ready to be the message body. */
export interface OutboxRow {
  seq: number;
  id: string;
  orderId: string;
  type: string;
  envelope: string;
  headers: Record<string, string>;
}

/**
 * relayOutboxBatch is the relay's whole transition of outbox rows, pending → published, in one
 * transaction: it locks up to `limit` unpublished rows at least `minAgeMs` old (younger ones are
 * their writer's to publish, see markPublished) that no other relay holds, oldest first, lets
 * `publish` send them and answer with the ids the broker confirmed, marks those published and
 * commits. Rows not confirmed stay pending; a relay that dies before the commit leaves them all
 * pending, and they are published again (the consumers' inboxes absorb the repeat). It returns the
 * rows claimed and the rows marked.
 */
export async function relayOutboxBatch(
  pool: Pool,
  schema: SchemaName,
  limit: number,
  publish: (rows: OutboxRow[]) => Promise<readonly string[]>,
  minAgeMs = 0,
): Promise<{ claimed: number; published: number }> {
  const client = await pool.connect();
  let released = false;
  try {
    await client.query('BEGIN');
    const claimed = await client.query<OutboxRow>({
      name: `outbox-claim-${schema}`,
      text: `SELECT seq, id, order_id AS "orderId", type, envelope::text AS envelope, headers
               FROM ${schema}.outbox
              WHERE status <> 'published' AND created_at <= clock_timestamp() - $2 * interval '1 millisecond'
              ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
      values: [limit, minAgeMs],
    });
    if (claimed.rows.length === 0) {
      await client.query('COMMIT');
      return { claimed: 0, published: 0 };
    }
    const confirmed = await publish(claimed.rows);
    const marked = await client.query<{ order_id: string; type: string }>({
      name: `outbox-mark-${schema}`,
      text: `UPDATE ${schema}.outbox SET status = 'published', published_at = clock_timestamp()
              WHERE id = ANY($1::uuid[]) RETURNING order_id, type`,
      values: [confirmed],
    });
    await client.query('COMMIT');
    announcePublished(pool, marked.rows);
    return { claimed: claimed.rows.length, published: marked.rows.length };
  } catch (error) {
    // A connection that failed mid-transaction is not given back to the pool.
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      released = true;
      client.release(rollbackError instanceof Error ? rollbackError : true);
    });
    throw error;
  } finally {
    if (!released) client.release();
  }
}

/**
 * markPublished is the writer's own transition, pending → published, for rows it published itself
 * once the transaction that wrote them had committed (OutboxDispatcher in packages/messaging). It is
 * a hint more than a record: a mark that never lands (the writer died first) leaves the row to the
 * relay, which publishes it again, and the consumers' inboxes absorb the repeat. Each row keeps the
 * time the broker confirmed it, not the time of the mark, which may come later.
 */
export async function markPublished(
  pool: Pool,
  schema: SchemaName,
  confirmed: readonly { id: string; at: Date }[],
): Promise<number> {
  if (confirmed.length === 0) return 0;
  const marked = await pool.query<{ order_id: string; type: string }>({
    name: `outbox-mark-dispatched-${schema}`,
    text: `UPDATE ${schema}.outbox AS o SET status = 'published', published_at = m.at
             FROM unnest($1::uuid[], $2::timestamptz[]) AS m(id, at)
            WHERE o.id = m.id AND o.status <> 'published' RETURNING o.order_id, o.type`,
    values: [confirmed.map((row) => row.id), confirmed.map((row) => row.at)],
  });
  announcePublished(pool, marked.rows);
  return marked.rows.length;
}

/** An order.placed on the broker is the timeline's `published` step: live views look again. */
function announcePublished(pool: Pool, rows: readonly { order_id: string; type: string }[]): void {
  notifySoon(
    pool,
    rows
      .filter((row) => row.type === 'order.placed')
      .map((row) => ({ channel: channels.orderChanged, payload: row.order_id })),
  );
}

/**
 * requeuePublished hands an order's published event of `type` back to the relays (the reconciler's
 * move when a participant never received it), inside the caller's transaction.
 */
export async function requeuePublished(client: PoolClient, schema: SchemaName, orderId: string, type: EventType) {
  await client.query(
    `UPDATE ${schema}.outbox SET status = 'pending' WHERE order_id = $1 AND type = $2 AND status = 'published'`,
    [orderId, type],
  );
  notifyAfterCommit(client, channels.outbox, schema);
}
