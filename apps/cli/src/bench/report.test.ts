import { describe, expect, it } from 'vitest';
import { autoscalingChart, renderSvg, scaleOutThroughputChart } from './charts.js';
import { costDocument } from './cost-doc.js';
import { bestThroughput, markdownReport } from './report.js';
import { benchFixture, costRunFixture } from './test-fixtures.js';

const result = benchFixture;

describe('bench report', () => {
  it('renders every section with its key rows', () => {
    const markdown = markdownReport(result);
    expect(bestThroughput(result)).toBe(30);
    for (const heading of [
      'Raw ceilings',
      'Scale-out',
      'Spike',
      'Gateway down for 30 s',
      'Autoscaling',
      'Cost per 1000',
    ])
      expect(markdown).toContain(heading);
    expect(markdown).toMatch(/\| 8 \| 30 \|/);
    expect(markdown).toContain('insert + NOTIFY');
    expect(markdown).toContain('IO: WALSync 60.0 %');
    expect(markdown).toContain('## Findings');
    expect(markdown).toMatch(/Throughput is bound by CPU/);
  });

  it('judges every target in one table, with the cost phases when the run has them', () => {
    const withoutCost = markdownReport(result);
    expect(withoutCost).toContain('of the 3 targets');
    expect(withoutCost).not.toContain('## The cost and the latency at fixed rates');
    expect(withoutCost).toContain('gateway latency +50 ms throughout');
    const withCost = markdownReport({ ...result, atRates: costRunFixture });
    expect(withCost).toContain('## The cost and the latency at fixed rates');
    expect(withCost).toContain('| 100 | 997/1000 |');
    expect(withCost).toContain('of the 14 targets');
    expect(withCost).toContain('except in the cost phases (0 ms)');
    expect(withCost).toMatch(/\| spike on equal cores: 0 errors and 0 shed, every order confirmed \| .* \| met \|/);
    expect(withCost).toMatch(/\| max sustained rate .* \| below 20 orders\/s, the lowest offered \| not met \|/);
  });

  it('draws charts with vega-lite and writes the cost model', async () => {
    expect(await renderSvg(scaleOutThroughputChart(result.scaleOut, result.settings.gatewayLatencyMs))).toMatch(
      /^<svg/,
    );
    expect(await renderSvg(autoscalingChart(result.autoscaling.samples, 0))).toContain('replicas');
    expect(costDocument(result, 'reports/bench/x')).toContain('cores per 1000 orders/s');
  });
});
