import { SpanStatusCode, trace } from '@opentelemetry/api';
import { Histogram, type Registry } from 'prom-client';
import type { OutboxRow } from '@surety/db';
import { failpoint } from '@surety/failpoints';
import type { ConfirmPublisher, OutgoingMessage } from '@surety/messaging';
import type { Logger } from '@surety/telemetry';
import { RowSpans } from './outbox-tracing.js';

const tracer = trace.getTracer('@surety/relay');

function toMessage(row: OutboxRow, spans: RowSpans): OutgoingMessage {
  return {
    messageId: row.id,
    type: row.type,
    routingKey: row.type,
    body: Buffer.from(row.envelope),
    headers: spans.headersOf(row),
  };
}

export interface RowPublisherOptions {
  publisher: ConfirmPublisher;
  logger: Logger;
  registry: Registry;
}

/**
 * RowPublisher sends outbox rows to the broker with confirms, each row continuing the trace it was
 * written in, and answers with the ids the broker confirmed and when. Both relays publish through
 * it: the polling relay what it claimed, the CDC relay what it read from the WAL.
 */
export class RowPublisher {
  private readonly batchSeconds: Histogram<'schema'>;
  private readonly batchRows: Histogram<'schema'>;

  constructor(private readonly options: RowPublisherOptions) {
    const { registry } = options;
    this.batchSeconds = new Histogram({
      name: 'surety_relay_publish_batch_seconds',
      help: 'Time to publish a batch of outbox rows and have it confirmed.',
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
  }

  get ready(): boolean {
    return this.options.publisher.ready;
  }

  /** publish sends one schema's rows and answers with those the broker confirmed, once each. */
  publish(schema: string, rows: readonly OutboxRow[]): Promise<{ id: string; at: Date }[]> {
    return tracer.startActiveSpan(`outbox publish ${schema}`, async (batch) => {
      batch.setAttribute('surety.outbox.rows', rows.length);
      try {
        return await this.publishBatch(schema, rows, new RowSpans(rows, batch));
      } catch (error) {
        batch.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        throw error;
      } finally {
        batch.end();
      }
    });
  }

  private async publishBatch(
    schema: string,
    rows: readonly OutboxRow[],
    spans: RowSpans,
  ): Promise<{ id: string; at: Date }[]> {
    const stopTimer = this.batchSeconds.startTimer({ schema });
    let outcomes;
    try {
      const messages = rows.map((row) => toMessage(row, spans));
      outcomes = await this.options.publisher.publish(messages);
    } catch (error) {
      spans.end([]);
      throw error;
    }
    const at = new Date();
    stopTimer();
    spans.end(outcomes);
    this.batchRows.observe({ schema }, rows.length);
    const confirmed = new Set(outcomes.filter((o) => o.ok).map((o) => o.messageId));
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) {
      const reason = failed[0] && !failed[0].ok ? failed[0].error.message : 'not confirmed';
      this.options.logger.warn({ schema, failed: failed.length, reason }, 'outbox rows not confirmed; will retry');
    }
    await failpoint('relay.after-publish-before-mark');
    this.options.logger.debug({ schema, published: confirmed.size }, 'outbox batch published');
    return [...confirmed].map((id) => ({ id, at }));
  }
}
