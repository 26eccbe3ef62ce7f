import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ScalingSample } from '../autoscaling/autoscaler.js';
import type { ScaleOutRow } from './scale-out.js';
import type { SpikeResult } from './spike.js';

/** renderSvg renders a Vega-Lite specification to an SVG document, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 520, height: 280 } as const;

/** The replicas of each scale-out step on a log-2 axis. */
const replicasAxis = (rows: ScaleOutRow[]) =>
  ({
    field: 'replicas',
    type: 'quantitative',
    scale: { type: 'log', base: 2 },
    axis: { values: rows.map((r) => r.replicas) },
  }) as const;

/** scaleOutThroughputChart: settled orders/s against replicas, with min–max bars and the linear ideal from one replica. */
export function scaleOutThroughputChart(rows: ScaleOutRow[], gatewayLatencyMs: number): TopLevelSpec {
  const one = rows.find((r) => r.replicas === rows[0]?.replicas)?.throughput.median ?? 0;
  const first = rows[0]?.replicas ?? 1;
  const values = rows.flatMap((r) => [
    {
      replicas: r.replicas,
      series: 'measured (median)',
      value: r.throughput.median,
      min: r.throughput.min,
      max: r.throughput.max,
    },
    {
      replicas: r.replicas,
      series: 'linear from the first step',
      value: (one * r.replicas) / first,
      min: null,
      max: null,
    },
  ]);
  return {
    ...base,
    title: `Scale-out: settled orders per second by consumer replicas (gateway +${gatewayLatencyMs} ms)`,
    data: { values },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: replicasAxis(rows),
          y: { field: 'value', type: 'quantitative', title: 'orders/s' },
          color: { field: 'series', type: 'nominal', title: null },
          strokeDash: { field: 'series', type: 'nominal', legend: null },
        },
      },
      {
        mark: { type: 'rule' },
        transform: [{ filter: 'datum.min !== null' }],
        encoding: {
          x: { field: 'replicas', type: 'quantitative', scale: { type: 'log', base: 2 } },
          y: { field: 'min', type: 'quantitative' },
          y2: { field: 'max' },
        },
      },
    ],
  };
}

/** scaleOutLatencyChart: placed-to-settled p50/p95/p99 by replicas. */
export function scaleOutLatencyChart(rows: ScaleOutRow[]): TopLevelSpec {
  const values = rows.flatMap((r) =>
    (['p50', 'p95', 'p99'] as const).map((p) => ({ replicas: r.replicas, percentile: p, ms: r.latencyMs[p] })),
  );
  return {
    ...base,
    title: 'End-to-end latency (placed to settled) at a steady share of each step’s throughput',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: replicasAxis(rows),
      y: { field: 'ms', type: 'quantitative', title: 'ms' },
      color: { field: 'percentile', type: 'nominal' },
    },
  };
}

/** spikeChart: POST /orders p50/p95/p99 and error rate, Surety against the baseline. */
export function spikeChart(spike: SpikeResult): TopLevelSpec {
  const sides = [
    { name: 'Surety (202, settles later)', k6: spike.async.k6 },
    { name: 'synchronous baseline', k6: spike.sync.k6 },
    ...(spike.deferred ? [{ name: 'Surety, consumers stopped until k6 ends', k6: spike.deferred.k6 }] : []),
  ];
  const values = sides.flatMap(({ name, k6 }) => {
    return [
      { system: name, stat: 'p50', ms: k6.p50Ms },
      { system: name, stat: 'p95', ms: k6.p95Ms },
      { system: name, stat: 'p99', ms: k6.p99Ms },
    ];
  });
  return {
    ...base,
    title: 'POST /orders under the same spike (load/spike.js)',
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'stat', type: 'nominal', title: null },
      xOffset: { field: 'system' },
      y: { field: 'ms', type: 'quantitative', title: 'ms', scale: { type: 'symlog' } },
      color: { field: 'system', type: 'nominal', title: null },
    },
  };
}

/** autoscalingChart: replicas per consumer over time, above the queue depth each scales on. */
export function autoscalingChart(samples: ScalingSample[], startedAtMs: number): TopLevelSpec {
  const values = samples.map((s) => ({
    seconds: (s.atMs - startedAtMs) / 1000,
    consumer: s.consumer,
    replicas: s.desired,
    queue: s.queueLength,
  }));
  const x = { field: 'seconds', type: 'quantitative', title: 'seconds since the spike started' } as const;
  return {
    $schema: base.$schema,
    title: 'Local autoscaler (KEDA/HPA rule from keda/) during the spike and the outage',
    data: { values },
    vconcat: [
      {
        width: 520,
        height: 160,
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x,
          y: { field: 'replicas', type: 'quantitative', title: 'replicas' },
          color: { field: 'consumer', type: 'nominal' },
        },
      },
      {
        width: 520,
        height: 160,
        mark: 'line',
        encoding: {
          x,
          y: { field: 'queue', type: 'quantitative', title: 'queue messages' },
          color: { field: 'consumer', type: 'nominal' },
        },
      },
    ],
  };
}
