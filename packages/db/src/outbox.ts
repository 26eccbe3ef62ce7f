import { validateEvent, type Envelope, type EventType } from '@surety/contracts';
import { activeTraceHeaders } from '@surety/telemetry';
import type { PoolClient } from './pool.js';
import type { SchemaName } from './migrate.js';
import { channels, notifyAfterCommit } from './notifications.js';

/** The AMQP headers an outbox row carries to the broker (trace context, correlation). */
export type OutboxHeaders = Record<string, string>;

/**
 * appendToOutbox writes an event into a schema's outbox inside the caller's transaction, so the
 * event exists exactly when the state change that caused it commits. The event is validated here:
 * an invalid event fails the transaction instead of reaching the broker. The row stores the trace
 * context of the running span (the request or message that caused the event), which the relay
 * continues; `headers` passed in are the fallback when no span is running.
 */
export async function appendToOutbox<T extends EventType>(
  client: PoolClient,
  schema: SchemaName,
  event: Envelope<T>,
  headers: OutboxHeaders = {},
): Promise<void> {
  validateEvent(event);
  await client.query(
    `INSERT INTO ${schema}.outbox (id, order_id, type, envelope, headers) VALUES ($1, $2, $3, $4, $5)`,
    [
      event.id,
      event.orderId,
      event.type,
      event,
      { 'x-correlation-id': event.correlationId, ...headers, ...activeTraceHeaders() },
    ],
  );
  notifyAfterCommit(client, channels.outbox, schema);
}
