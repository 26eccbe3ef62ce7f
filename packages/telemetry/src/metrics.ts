import { collectDefaultMetrics, Registry, type LabelValues, type PrometheusContentType } from 'prom-client';
import { activeTraceFields } from './trace-context.js';

let processMetrics: Registry | undefined;

/**
 * processMetricsOnce collects the process's own metrics (CPU, memory, heap, event-loop delay, GC)
 * once per process, however many services it hosts: each collector has timers and observers of
 * its own, and the consumers' host would otherwise run one set per consumer. So a scrape of any of
 * its services reads the event-loop delay since the last scrape of any. The delay is sampled by a
 * timer, once a second here: it wakes an idle process each time (prom-client's 10 ms default would
 * wake it a hundred times a second).
 */
function processMetricsOnce(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    // prom-client types a registry by its format; every consumer of ours only reads contentType.
    processMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as unknown as PrometheusContentType);
    collectDefaultMetrics({ register: processMetrics, eventLoopMonitoringPrecision: 1000 });
  }
  return processMetrics;
}

/**
 * createRegistry makes a service's metric registry with the process's own metrics. It speaks
 * OpenMetrics, the exposition format that carries exemplars: a latency bucket can name a trace.
 */
export function createRegistry(service: string): Registry {
  // A merge is a new registry, of the same format, holding the process's metrics.
  const registry = Registry.merge([processMetricsOnce()]);
  registry.setDefaultLabels({ service });
  return registry;
}

/** traceExemplar labels an observation with the running span's trace id, when there is one. */
export function traceExemplar<T extends string>(): LabelValues<T> {
  const { traceId } = activeTraceFields();
  return (traceId ? { trace_id: traceId } : {}) as LabelValues<T>;
}

/**
 * oneReadPerScrape shares one read among the gauges a scrape collects together (prom-client
 * collects metrics concurrently), and reads afresh for the next scrape.
 */
export function oneReadPerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let snapshot: Promise<T> | undefined;
  return () => {
    snapshot ??= read().finally(() => setTimeout(() => (snapshot = undefined), 500).unref());
    return snapshot;
  };
}
