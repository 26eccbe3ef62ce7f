import { randomUUID } from 'node:crypto';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { Gauge, Histogram, type Registry } from 'prom-client';
import {
  outboxBacklog,
  relayOutboxBatch,
  type OutboxBacklog,
  type OutboxRow,
  type Pool,
  type SchemaName,
} from '@surety/db';
import type { ConfirmPublisher, OutgoingMessage } from '@surety/messaging';
import { failpoint } from '@surety/failpoints';
import type { Logger } from '@surety/telemetry';
import { RowSpans } from './outbox-tracing.js';
import type { DueSchemas, OutboxWakeup } from './wakeup.js';

export interface RelayOptions {
  pool: Pool;
  publisher: ConfirmPublisher;
  wakeup: OutboxWakeup;
  schemas: readonly SchemaName[];
  batchSize: number;
  pollIntervalMs: number;
  /** The longest wait between passes that found nothing; a NOTIFY still wakes the relay at once. */
  idlePollMaxMs: number;
  /**
   * How old a row must be before a poll takes it: a younger one is its writer's to publish (see
   * OutboxDispatcher). A NOTIFY-driven pass takes every row: writers notify when they hand over.
   */
  sweepAfterMs: number;
  publishTwice?: boolean;
  logger: Logger;
  registry: Registry;
}

const tracer = trace.getTracer('@surety/relay');

/**
 * idlePollDelay is the wait before the next pass: the poll interval while rows flow, doubling with
 * each pass that found nothing up to `maxMs`. The poll only catches what a lost NOTIFY missed.
 */
export function idlePollDelay(intervalMs: number, maxMs: number, emptyPasses: number): number {
  return Math.min(maxMs, intervalMs * 2 ** Math.max(0, Math.min(emptyPasses - 1, 20)));
}

function toMessage(row: OutboxRow, spans: RowSpans): OutgoingMessage {
  return {
    messageId: row.id,
    type: row.type,
    routingKey: row.type,
    body: Buffer.from(row.envelope),
    headers: spans.headersOf(row),
  };
}

/**
 * PollingRelay ships every committed outbox row to the broker at least once: it claims a batch,
 * publishes it with confirms, and marks published only what the broker confirmed. Several relays
 * can run at once: claims skip rows another relay holds.
 */
export class PollingRelay {
  readonly id = `relay-${randomUUID().slice(0, 8)}`;
  private readonly batchSeconds: Histogram<'schema'>;
  private readonly batchRows: Histogram<'schema'>;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: RelayOptions) {
    const { registry } = options;
    this.batchSeconds = new Histogram({
      name: 'surety_relay_publish_batch_seconds',
      help: 'Time to publish a claimed batch and have it confirmed.',
      labelNames: ['schema'],
      registers: [registry],
    });
    this.batchRows = new Histogram({
      name: 'surety_relay_publish_batch_size',
      help: 'Rows per published batch.',
      labelNames: ['schema'],
      buckets: [1, 5, 10, 50, 100, 200, 500, 1000, 2000],
      registers: [registry],
    });
    // Both gauges read one snapshot per scrape: prom-client collects metrics concurrently.
    let snapshot: Promise<OutboxBacklog[]> | undefined;
    const readBacklog = () => {
      snapshot ??= this.backlog().finally(() => setTimeout(() => (snapshot = undefined), 500).unref());
      return snapshot;
    };
    new Gauge({
      name: 'surety_outbox_pending_rows',
      help: 'Outbox rows not yet published.',
      labelNames: ['schema'],
      registers: [registry],
      async collect() {
        for (const { schema, unpublished } of await readBacklog()) this.set({ schema }, unpublished);
      },
    });
    new Gauge({
      name: 'surety_outbox_oldest_unpublished_seconds',
      help: 'Age of the oldest unpublished outbox row.',
      labelNames: ['schema'],
      registers: [registry],
      async collect() {
        for (const { schema, oldestAgeSeconds } of await readBacklog()) this.set({ schema }, oldestAgeSeconds);
      },
    });
  }

  /** backlog reads every relayed schema's unpublished count and oldest age. */
  backlog(): Promise<OutboxBacklog[]> {
    return outboxBacklog(this.options.pool, this.options.schemas);
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.wakeup.wake();
    await this.running;
  }

  /**
   * drainOnce relays each due schema until a batch comes back short. It returns the rows published,
   * and whether rows the broker did not confirm were left pending for another pass.
   */
  private async drainOnce(due: DueSchemas = 'all'): Promise<{ published: number; leftPending: boolean }> {
    let published = 0;
    let leftPending = false;
    for (const schema of this.options.schemas) {
      if (due !== 'all' && !due.has(schema)) continue;
      for (;;) {
        const batch = await this.relayBatch(schema, due === 'all' ? this.options.sweepAfterMs : 0);
        published += batch.published;
        leftPending ||= batch.published < batch.claimed;
        if (batch.claimed < this.options.batchSize || batch.published < batch.claimed || this.stopped) break;
      }
    }
    return { published, leftPending };
  }

  private async loop(): Promise<void> {
    const { logger, wakeup, pollIntervalMs, idlePollMaxMs, publisher } = this.options;
    let emptyPasses = 0;
    let due: DueSchemas = 'all';
    while (!this.stopped) {
      let complete = false;
      try {
        if (publisher.ready) {
          const { published, leftPending } = await this.drainOnce(due);
          emptyPasses = published > 0 ? 0 : emptyPasses + 1;
          complete = !leftPending;
        }
      } catch (error) {
        logger.warn({ err: error }, 'relay pass failed; trying again');
      }
      if (!complete) emptyPasses = 0;
      if (this.stopped) break;
      const next = await wakeup.wait(idlePollDelay(pollIntervalMs, idlePollMaxMs, emptyPasses));
      // A pass that did not finish (the broker away, a failure, rows not confirmed) may have left
      // rows in any schema: the next looks at every one, after the poll interval.
      due = complete ? next : 'all';
    }
  }

  private relayBatch(schema: SchemaName, minAgeMs: number): Promise<{ claimed: number; published: number }> {
    return relayOutboxBatch(
      this.options.pool,
      schema,
      this.options.batchSize,
      (rows) =>
        tracer.startActiveSpan(`outbox publish ${schema}`, async (batch) => {
          batch.setAttribute('surety.outbox.rows', rows.length);
          try {
            return await this.publishBatch(schema, rows, new RowSpans(rows, batch));
          } catch (error) {
            batch.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
            throw error;
          } finally {
            batch.end();
          }
        }),
      minAgeMs,
    );
  }

  /** publishBatch sends claimed rows with confirms and answers with the ids the broker confirmed. */
  private async publishBatch(schema: SchemaName, rows: OutboxRow[], spans: RowSpans): Promise<string[]> {
    const stopTimer = this.batchSeconds.startTimer({ schema });
    let outcomes;
    try {
      const messages = rows.map((row) => toMessage(row, spans));
      outcomes = await this.options.publisher.publish(
        this.options.publishTwice ? [...messages, ...messages] : messages,
      );
    } catch (error) {
      spans.end([]);
      throw error;
    }
    stopTimer();
    spans.end(outcomes);
    this.batchRows.observe({ schema }, rows.length);
    const confirmed = outcomes.filter((o) => o.ok).map((o) => o.messageId);
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) {
      const reason = failed[0] && !failed[0].ok ? failed[0].error.message : 'not confirmed';
      this.options.logger.warn({ schema, failed: failed.length, reason }, 'outbox rows not confirmed; will retry');
    }
    await failpoint('relay.after-publish-before-mark');
    this.options.logger.debug({ schema, published: confirmed.length }, 'outbox batch published');
    return [...new Set(confirmed)];
  }
}
