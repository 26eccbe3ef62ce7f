import { Type } from '@sinclair/typebox';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { markPublished, notifyOutboxSoon, type OutboxEntry, type Pool, type SchemaName } from '@surety/db';
import { failpoint } from '@surety/failpoints';
import { contextFromHeaders, headersWithSpan, type Logger } from '@surety/telemetry';
import { Counter, type Registry } from 'prom-client';
import type { ConfirmPublisher, OutgoingMessage } from './publisher.js';

/**
 * Who publishes an outbox's rows in the normal course: the writer, right after its commit, or only
 * the relay (the slower path of one more hop, kept for comparison and for the relay's drills).
 */
export type OutboxDispatch = 'writer' | 'relay';

/** OUTBOX_DISPATCH, as every writer of an outbox reads it. */
export const OutboxDispatchEnv = Type.Union([Type.Literal('writer'), Type.Literal('relay')], { default: 'writer' });

/**
 * How long confirmed ids wait to be marked together, by default: well inside what the relay leaves
 * to writers (RELAY_SWEEP_AFTER_MS, 2 s), and long enough that a mark covers many batches (at 50 ms,
 * marks cost 2 ms of CPU per order more than they saved).
 */
const defaultMarkAfterMs = 500;

const tracer = trace.getTracer('@surety/messaging');

export interface OutboxDispatcherOptions {
  /** Undefined while the writer has no broker connection: the relay then publishes its rows. */
  publisher: () => ConfirmPublisher | undefined;
  pool: Pool;
  schema: SchemaName;
  logger: Logger;
  registry: Registry;
  /** How long confirmed rows wait to be marked, many at once (a mark that shows on a page waits less). */
  markAfterMs?: number;
}

function dispatchedCounter(registry: Registry): Counter<'schema' | 'outcome'> {
  const name = 'surety_outbox_dispatched_total';
  return (
    (registry.getSingleMetric(name) as Counter<'schema' | 'outcome'> | undefined) ??
    new Counter({
      name,
      help: 'Outbox rows their writer published after its commit (published), or left to the relay (left_to_relay).',
      labelNames: ['schema', 'outcome'],
      registers: [registry],
    })
  );
}

/**
 * OutboxDispatcher publishes a writer's outbox rows as soon as the transaction that wrote them has
 * committed, with confirms, and marks the confirmed ones published half a second later, many in one
 * statement: an event costs no relay hop and no relay transaction. The relay stays the guarantee:
 * a row this dispatcher did not publish (no broker, a crash before publishing) or did not mark (a
 * crash before the mark) is published by the relay's sweep once it is older than what the relay
 * leaves to writers, and the consumers' inboxes absorb the repeat.
 */
export class OutboxDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private confirmed: { id: string; at: Date }[] = [];
  private marking: Promise<void> | undefined;
  private readonly dispatched: Counter<'schema' | 'outcome'>;

  constructor(private readonly options: OutboxDispatcherOptions) {
    this.dispatched = dispatchedCounter(options.registry);
  }

  /** dispatch publishes committed entries in the background; it never throws and never waits. */
  dispatch(entries: readonly OutboxEntry[]): void {
    if (entries.length === 0) return;
    const publisher = this.options.publisher();
    if (!publisher?.ready) {
      this.leaveToRelay(entries.length);
      return;
    }
    const work = this.publish(publisher, entries).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  /** settle waits for the publishes in flight and their marks (a clean stop leaves nothing to sweep). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0 || this.marking) {
      await Promise.all(this.inFlight);
      await this.marking;
    }
  }

  private async publish(publisher: ConfirmPublisher, entries: readonly OutboxEntry[]): Promise<void> {
    const spans = entries.map((entry) => dispatchSpan(entry));
    try {
      const outcomes = await publisher.publish(entries.map((entry, i) => toMessage(entry, spans[i]!)));
      for (const [i, outcome] of outcomes.entries()) {
        if (!outcome.ok) spans[i]?.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
      }
      const at = new Date();
      const confirmed = outcomes.filter((outcome) => outcome.ok).map((outcome) => ({ id: outcome.messageId, at }));
      this.dispatched.inc({ schema: this.options.schema, outcome: 'published' }, confirmed.length);
      if (confirmed.length < outcomes.length) this.leaveToRelay(outcomes.length - confirmed.length);
      await failpoint('outbox.after-publish-before-mark');
      this.markSoon(confirmed);
    } catch (error) {
      this.options.logger.debug({ err: error, schema: this.options.schema }, 'outbox rows left to the relay');
      this.leaveToRelay(entries.length);
    } finally {
      for (const span of spans) span.end();
    }
  }

  /** leaveToRelay wakes the relay for rows this writer could not publish. */
  private leaveToRelay(rows: number): void {
    this.dispatched.inc({ schema: this.options.schema, outcome: 'left_to_relay' }, rows);
    notifyOutboxSoon(this.options.pool, this.options.schema);
  }

  private markSoon(confirmed: readonly { id: string; at: Date }[]): void {
    this.confirmed.push(...confirmed);
    if (this.marking) return;
    this.marking = new Promise((resolve) => setTimeout(resolve, this.options.markAfterMs ?? defaultMarkAfterMs))
      .then(() => this.markConfirmed())
      .finally(() => {
        this.marking = undefined;
        // Rows confirmed while the last statement was finishing get a mark of their own.
        if (this.confirmed.length > 0) this.markSoon([]);
      });
  }

  private async markConfirmed(): Promise<void> {
    while (this.confirmed.length > 0) {
      const rows = this.confirmed;
      this.confirmed = [];
      await markPublished(this.options.pool, this.options.schema, rows).catch((error: unknown) =>
        this.options.logger.warn(
          { err: error, rows: rows.length },
          'could not mark outbox rows published; the relay will',
        ),
      );
    }
  }
}

/**
 * dispatchSpan continues an outbox entry's trace: a child of the span that wrote it (the request or
 * message that caused the event), as the relay's span is when the relay publishes it.
 */
function dispatchSpan(entry: OutboxEntry): Span {
  return tracer.startSpan(
    `outbox dispatch ${entry.event.type}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: { 'messaging.message.id': entry.event.id, 'surety.order_id': entry.event.orderId },
    },
    contextFromHeaders(entry.headers),
  );
}

function toMessage(entry: OutboxEntry, span: Span): OutgoingMessage {
  return {
    messageId: entry.event.id,
    type: entry.event.type,
    routingKey: entry.event.type,
    body: Buffer.from(entry.envelope),
    headers: headersWithSpan(entry.headers, span),
  };
}
