import { Type, type Static } from '@sinclair/typebox';
import { deadLetterQueueName, queues } from '@surety/messaging';

/** The window and resolution of the ops page's charts. */
export const gaugeWindowSeconds = 15 * 60;
export const gaugeStepSeconds = 15;

const Series = Type.Object({
  label: Type.String(),
  /** [unix seconds, value] pairs, oldest first. */
  points: Type.Array(Type.Tuple([Type.Number(), Type.Number()])),
});
const Gauge = Type.Object({
  title: Type.String(),
  unit: Type.Union([Type.Literal('messages'), Type.Literal('seconds'), Type.Literal('bytes')]),
  /** The runbook section that triages it. */
  runbook: Type.String(),
  query: Type.String(),
  series: Type.Array(Series),
});
export const Gauges = Type.Object({
  from: Type.Number(),
  to: Type.Number(),
  stepSeconds: Type.Number(),
  /** Absent when Prometheus answered; what went wrong otherwise (the gauges are then empty). */
  problem: Type.Optional(Type.String()),
  gauges: Type.Array(Gauge),
});
export type Gauges = Static<typeof Gauges>;

/** A PromQL regex matching exactly these queue names (a dot escaped inside the query's string). */
const anyOf = (names: string[]) => names.map((name) => name.replaceAll('.', '\\\\.')).join('|');
const workQueues = anyOf(Object.values(queues).map((queue) => queue.name));
const deadLetterQueues = anyOf(Object.values(queues).map((queue) => deadLetterQueueName(queue.name)));

/**
 * The four gauges of docs/runbook.md's triage, as Prometheus queries over one vhost's queues and
 * the processes `selector` picks (label matchers such as `run="make-run"`; all of them when empty).
 */
function gaugeQueries(vhost: string, selector: string) {
  const inVhost = `vhost="${vhost.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  return [
    {
      title: 'Lag: messages waiting per queue',
      unit: 'messages' as const,
      runbook: 'lag',
      queries: [
        {
          label: '{{queue}}',
          expr: `sum by (queue) (rabbitmq_detailed_queue_messages_ready{${inVhost},queue=~"${workQueues}"})`,
        },
      ],
    },
    {
      title: 'DLQ depth',
      unit: 'messages' as const,
      runbook: 'dlq-depth',
      queries: [
        {
          label: '{{queue}}',
          expr: `sum by (queue) (rabbitmq_detailed_queue_messages{${inVhost},queue=~"${deadLetterQueues}"})`,
        },
      ],
    },
    {
      title: 'End-to-end latency: placed → settled',
      unit: 'seconds' as const,
      runbook: 'end-to-end-latency',
      queries: [0.5, 0.99].map((quantile) => ({
        label: `p${quantile * 100}`,
        expr: `histogram_quantile(${quantile}, sum by (le) (rate(surety_order_end_to_end_seconds_bucket{${selector}}[1m])))`,
      })),
    },
    {
      title: 'Slot lag: WAL the CDC relay has not confirmed',
      unit: 'bytes' as const,
      runbook: 'slot-lag',
      queries: [{ label: '{{slot}}', expr: `max by (slot) (surety_replication_slot_lag_bytes{${selector}})` }],
    },
  ];
}

/** What a gauge says of itself, read or not. */
function describe({ title, unit, runbook, queries }: ReturnType<typeof gaugeQueries>[number]) {
  return { title, unit, runbook, query: queries.map((q) => q.expr).join('\n') };
}

interface RangeAnswer {
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

/**
 * gaugesReader reads the last 15 minutes of the four gauges from Prometheus' HTTP API, over the
 * queues of the api's own vhost. Without a Prometheus, or when it does not answer, it says so, and
 * the gauges come back empty.
 */
export function gaugesReader(prometheusUrl: string | undefined, vhost: string, selector = '') {
  const gauges = gaugeQueries(vhost, selector);
  return async (): Promise<Gauges> => {
    const to = Math.floor(Date.now() / 1000);
    const from = to - gaugeWindowSeconds;
    const empty = (problem: string): Gauges => ({
      from,
      to,
      stepSeconds: gaugeStepSeconds,
      problem,
      gauges: gauges.map((gauge) => ({ ...describe(gauge), series: [] })),
    });
    if (!prometheusUrl) return empty('no Prometheus: set PROMETHEUS_URL (make run starts one)');
    const range = async (expr: string) => {
      const url = new URL('/api/v1/query_range', prometheusUrl);
      url.search = new URLSearchParams({
        query: expr,
        start: String(from),
        end: String(to),
        step: String(gaugeStepSeconds),
      }).toString();
      const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
      const answer = (await response.json()) as RangeAnswer;
      if (answer.status !== 'success') throw new Error(answer.error ?? `Prometheus answered ${response.status}`);
      return answer.data?.result ?? [];
    };
    try {
      return {
        from,
        to,
        stepSeconds: gaugeStepSeconds,
        gauges: await Promise.all(
          gauges.map(async (gauge) => ({
            ...describe(gauge),
            series: (
              await Promise.all(
                gauge.queries.map(async ({ label, expr }) =>
                  (await range(expr)).map((result) => ({
                    label: label.replace(/\{\{(\w+)\}\}/g, (_, name: string) => result.metric[name] ?? name),
                    points: result.values.map(([at, value]): [number, number] => [at, Number(value)]),
                  })),
                ),
              )
            )
              .flat()
              .map((series) => ({
                ...series,
                // A quantile of no traffic is NaN: a gap, not a point.
                points: series.points.filter(([, value]) => Number.isFinite(value)),
              }))
              .filter((series) => series.points.length > 0),
          })),
        ),
      };
    } catch (error) {
      return empty(`Prometheus at ${prometheusUrl}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}
