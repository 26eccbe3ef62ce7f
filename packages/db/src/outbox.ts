import { validateEvent, type Envelope, type EventType } from '@surety/contracts';
import { activeTraceHeaders } from '@surety/telemetry';
import type { PoolClient } from './pool.js';
import type { SchemaName } from './migrate.js';
import { channels, notifyAfterCommit } from './notifications.js';

/** The AMQP headers an outbox row carries to the broker (trace context, correlation). */
export type OutboxHeaders = Record<string, string>;

/** An event ready to be written to an outbox: validated, with the headers it will travel with. */
export interface OutboxEntry {
  event: Envelope<EventType>;
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
  return { event, headers: { 'x-correlation-id': event.correlationId, ...headers, ...activeTraceHeaders() } };
}

/**
 * appendManyToOutbox writes events into a schema's outbox inside the caller's transaction, in one
 * statement, so they exist exactly when the state change that caused them commits.
 */
export async function appendManyToOutbox(
  client: PoolClient,
  schema: SchemaName,
  entries: readonly OutboxEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await client.query({
    name: `outbox-append-${schema}`,
    text: `INSERT INTO ${schema}.outbox (id, order_id, type, envelope, headers)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[])`,
    values: [
      entries.map((e) => e.event.id),
      entries.map((e) => e.event.orderId),
      entries.map((e) => e.event.type),
      entries.map((e) => JSON.stringify(e.event)),
      entries.map((e) => JSON.stringify(e.headers)),
    ],
  });
  notifyAfterCommit(client, channels.outbox, schema);
}

/** appendToOutbox writes one event into a schema's outbox inside the caller's transaction. */
export async function appendToOutbox<T extends EventType>(
  client: PoolClient,
  schema: SchemaName,
  event: Envelope<T>,
  headers: OutboxHeaders = {},
): Promise<void> {
  await appendManyToOutbox(client, schema, [outboxEntry(event, headers)]);
}
