import { collectDefaultMetrics, Registry, type LabelValues, type PrometheusContentType } from 'prom-client';
import { activeTraceFields } from './trace-context.js';

/**
 * createRegistry makes a service's metric registry with the process defaults. It speaks
 * OpenMetrics, the exposition format that carries exemplars: a latency bucket can name a trace.
 */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  // prom-client types a registry by its format; every consumer of ours only reads contentType.
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as unknown as PrometheusContentType);
  registry.setDefaultLabels({ service });
  // The event-loop delay is sampled by a timer at this resolution; prom-client's 10 ms default
  // wakes every idle process a hundred times a second.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 200 });
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
