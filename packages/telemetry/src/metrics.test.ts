import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRegistry } from './metrics.js';

describe('createRegistry', () => {
  it('gives every service in a process the same process metrics, collected once', async () => {
    const payment = createRegistry('payment');
    const saga = createRegistry('saga');

    const cpu = payment.getSingleMetric('process_cpu_seconds_total');
    expect(cpu).toBeDefined();
    expect(saga.getSingleMetric('process_cpu_seconds_total')).toBe(cpu);
    expect(saga.getSingleMetric('nodejs_eventloop_lag_p99_seconds')).toBe(
      payment.getSingleMetric('nodejs_eventloop_lag_p99_seconds'),
    );
  });

  it("labels each service's exposition with its name, in OpenMetrics", async () => {
    const registry = createRegistry('inventory');

    expect(registry.contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(await registry.metrics()).toMatch(/^process_cpu_seconds_total\{service="inventory"\} /m);
  });
});
