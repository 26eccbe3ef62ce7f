import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startTracing } from './tracing.js';
import { activeTraceFields, activeTraceHeaders } from './trace-context.js';

describe('startTracing without an exporter', () => {
  it('records nothing, yet every span has ids that logs and outbox rows carry', async () => {
    const sdk = startTracing('tracing-test', {});
    try {
      const tracer = trace.getTracer('tracing-test');
      tracer.startActiveSpan('root', (root) => {
        expect(root.isRecording()).toBe(false);
        const fields = activeTraceFields();
        expect(fields.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(fields.traceId).not.toBe('0'.repeat(32));
        expect(activeTraceHeaders().traceparent).toBe(`00-${fields.traceId}-${fields.spanId}-00`);
        tracer.startActiveSpan('child', (child) => {
          expect(child.isRecording()).toBe(false);
          expect(activeTraceFields().traceId).toBe(fields.traceId);
          expect(activeTraceFields().spanId).not.toBe(fields.spanId);
          child.end();
        });
        root.end();
      });
    } finally {
      await sdk.shutdown();
    }
  });
});
