import { context, propagation, trace, type Context, type Span } from '@opentelemetry/api';

/** The W3C trace headers a message or outbox row carries. */
export type TraceHeaders = Record<string, string>;

/** activeTraceHeaders is the trace context of the running span as W3C headers (empty without one). */
export function activeTraceHeaders(): TraceHeaders {
  const headers: TraceHeaders = {};
  propagation.inject(context.active(), headers);
  return headers;
}

/** headersWithSpan is a copy of headers whose trace context names `span`: what a message it publishes carries. */
export function headersWithSpan(headers: Readonly<TraceHeaders>, span: Span): TraceHeaders {
  const copy: TraceHeaders = { ...headers };
  propagation.inject(trace.setSpan(context.active(), span), copy);
  return copy;
}

/** contextFromHeaders is the trace context that headers carry, on top of the active one. */
export function contextFromHeaders(headers: Readonly<Record<string, unknown>>): Context {
  return propagation.extract(context.active(), headers, {
    keys: (carrier) => Object.keys(carrier),
    get: (carrier, key) => {
      const value = carrier[key];
      return typeof value === 'string' ? value : undefined;
    },
  });
}

/** activeTraceFields names the running span for a log line: its traceId and spanId. */
export function activeTraceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  if (!span || !trace.isSpanContextValid(span)) return {};
  return { traceId: span.traceId, spanId: span.spanId };
}
