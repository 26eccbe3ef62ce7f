import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { PublishOutcome } from '@surety/messaging';
import { contextFromHeaders, headersWithSpan, type TraceHeaders } from '@surety/telemetry';
import type { OutboxRow } from '@surety/db';

const tracer = trace.getTracer('@surety/relay');

/**
 * RowSpans continues each outbox row's trace. A row's span is a child of the span that wrote the
 * row (the request or message that caused the event), so one order stays one trace across the
 * outbox; it links to the relay's batch span, which is the relay's own work, shared by many orders
 * (a span has one parent, so the batch can only be a link).
 */
export class RowSpans {
  private readonly spans = new Map<string, Span>();

  constructor(rows: readonly OutboxRow[], batch: Span) {
    const link = { context: batch.spanContext() };
    for (const row of rows) {
      const span = tracer.startSpan(
        `outbox relay ${row.type}`,
        {
          kind: SpanKind.INTERNAL,
          links: [link],
          attributes: { 'messaging.message.id': row.id, 'surety.order_id': row.orderId },
        },
        contextFromHeaders(row.headers),
      );
      this.spans.set(row.id, span);
    }
  }

  /** headersOf is a row's headers with the trace context of its relay span. */
  headersOf(row: OutboxRow): TraceHeaders {
    const span = this.spans.get(row.id);
    return span ? headersWithSpan(row.headers, span) : { ...row.headers };
  }

  /** end closes every row's span with the broker's answer for it. */
  end(outcomes: readonly PublishOutcome[]): void {
    for (const outcome of outcomes) {
      const span = this.spans.get(outcome.messageId);
      if (!span) continue;
      if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
    }
    for (const span of this.spans.values()) span.end();
    this.spans.clear();
  }
}
