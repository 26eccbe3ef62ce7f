import { describe, expect, it } from 'vitest';
import { barOf, renderWaterfall, toWaterfall, type JaegerTrace } from './trace-waterfall.js';

const t0 = 1_765_000_000_000_000;
const trace: JaegerTrace = {
  traceID: 'abc',
  processes: { p1: { serviceName: 'api' }, p2: { serviceName: 'payment' }, p3: { serviceName: 'gateway' } },
  spans: [
    // Out of order on purpose: Jaeger lists spans as they were stored.
    {
      spanID: 'c',
      operationName: 'POST /charges',
      references: [{ refType: 'CHILD_OF', spanID: 'b' }],
      startTime: t0 + 30_000,
      duration: 10_000,
      processID: 'p3',
      tags: [{ key: 'error', value: true }],
    },
    { spanID: 'a', operationName: 'POST /orders', startTime: t0, duration: 5_000, processID: 'p1' },
    {
      spanID: 'b',
      operationName: 'payment.orders process',
      references: [{ refType: 'CHILD_OF', spanID: 'a' }],
      startTime: t0 + 20_000,
      duration: 30_000,
      processID: 'p2',
    },
    {
      spanID: 'd',
      operationName: 'orphan',
      references: [{ refType: 'CHILD_OF', spanID: 'gone' }],
      startTime: t0 + 60_000,
      duration: 40_000,
      processID: 'p1',
    },
  ],
};

describe('a trace as a waterfall', () => {
  it('puts each span under its parent, siblings by start, and missing parents at the root', () => {
    const waterfall = toWaterfall(trace);
    expect(waterfall.rows.map((r) => [r.depth, r.service, r.name, r.offsetMs, r.durationMs, r.error])).toEqual([
      [0, 'api', 'POST /orders', 0, 5, false],
      [1, 'payment', 'payment.orders process', 20, 30, false],
      [2, 'gateway', 'POST /charges', 30, 10, true],
      [0, 'api', 'orphan', 60, 40, false],
    ]);
    expect(waterfall.durationMs).toBe(100);
    expect(waterfall.services).toEqual(['api', 'payment', 'gateway']);
  });

  it('draws each bar where its span sits in the trace', () => {
    const row = { depth: 0, service: 'x', name: 'y', offsetMs: 50, durationMs: 25, error: false };
    expect(barOf(row, 100, 8)).toBe('    ██  ');
    // A span too short to see still gets one mark.
    expect(barOf({ ...row, offsetMs: 0, durationMs: 0.01 }, 100, 8)).toBe('█       ');
    const text = renderWaterfall(toWaterfall(trace), 10);
    expect(text.split('\n')).toHaveLength(6);
    expect(text).toContain('    POST /charges  (error)');
  });
});
