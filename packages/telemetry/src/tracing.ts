import { createRequire } from 'node:module';
import type { FastifyOtelInstrumentation as FastifyOtelInstrumentationClass } from '@fastify/otel';
import type { AmqplibInstrumentation as AmqplibInstrumentationClass } from '@opentelemetry/instrumentation-amqplib';
import type { PgInstrumentation as PgInstrumentationClass } from '@opentelemetry/instrumentation-pg';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NoopSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { readTracingConfig, type OtlpProtocol, type TracingConfig } from './config.js';
import { onExit } from './exit-hooks.js';

// Probes and scrapes are not part of any order's story.
const quietPaths = new Set(['/healthz', '/readyz', '/metrics']);

function pathOf(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}

// Each OTLP exporter is loaded only when its protocol is asked for: together they weigh tens of
// MiB of every process's memory. They read their endpoint and headers from OTEL_EXPORTER_OTLP_*.
const otlpExporterPackages: Record<OtlpProtocol, string> = {
  'http/protobuf': '@opentelemetry/exporter-trace-otlp-proto',
  'http/json': '@opentelemetry/exporter-trace-otlp-http',
  grpc: '@opentelemetry/exporter-trace-otlp-grpc',
};

// The instrumentations that only add spans are loaded only when spans are exported, like the
// exporters: unread, their spans cost every process memory, and every message CPU and garbage.
function spanOnlyInstrumentations(): Instrumentation[] {
  const require = createRequire(import.meta.url);
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as {
    PgInstrumentation: typeof PgInstrumentationClass;
  };
  const { FastifyOtelInstrumentation } = require('@fastify/otel') as {
    FastifyOtelInstrumentation: typeof FastifyOtelInstrumentationClass;
  };
  const { AmqplibInstrumentation } = require('@opentelemetry/instrumentation-amqplib') as {
    AmqplibInstrumentation: typeof AmqplibInstrumentationClass;
  };
  return [
    // The broker hop's publish and consume spans. Without them the trace still crosses it: the
    // outbox row's headers carry it, and packages/messaging's consumer reads it back from them.
    new AmqplibInstrumentation(),
    new PgInstrumentation({ requireParentSpan: true }),
    new FastifyOtelInstrumentation({
      registerOnInitialization: true,
      ignorePaths: (route: { url: string }) => quietPaths.has(pathOf(route.url)),
    }),
  ];
}

function spanExporters(config: TracingConfig): SpanExporter[] {
  const require = createRequire(import.meta.url);
  return config.exporters.map((name) => {
    if (name === 'console') return new ConsoleSpanExporter();
    const { OTLPTraceExporter } = require(otlpExporterPackages[config.otlpProtocol]) as {
      OTLPTraceExporter: new () => SpanExporter;
    };
    return new OTLPTraceExporter();
  });
}

/**
 * startTracing starts OpenTelemetry for one service before anything it instruments is loaded.
 * Exporting (configured by the standard OTEL_* variables), spans are sampled as OTEL_TRACES_SAMPLER
 * and OTEL_TRACES_SAMPLER_ARG say (parent-based by default, so one order's trace is kept or dropped
 * whole) and sent in batches (OTEL_BSP_*). Not exporting, nothing is recorded unless a caller's
 * trace was sampled; unrecorded spans still carry trace and span ids, so logs and outbox rows name
 * the order's trace either way.
 */
export function startTracing(service: string, env?: NodeJS.ProcessEnv): NodeTracerProvider {
  const config = readTracingConfig(env);
  const provider = new NodeTracerProvider({
    resource: defaultResource()
      .merge(detectResources({ detectors: [envDetector] }))
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName ?? service })),
    ...(config.exports
      ? { spanProcessors: spanExporters(config).map((exporter) => new BatchSpanProcessor(exporter)) }
      : {
          spanProcessors: [new NoopSpanProcessor()],
          sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
        }),
  });
  // W3C trace context and baggage, and an AsyncLocalStorage context manager.
  provider.register();
  const instrumentations: Instrumentation[] = [
    // These carry the trace across HTTP hops (in and out), so they run whether or not anything is
    // exported: logs and outbox rows name the order's trace either way.
    new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => quietPaths.has(pathOf(request.url)) }),
    new UndiciInstrumentation(),
  ];
  if (config.exports) instrumentations.push(...spanOnlyInstrumentations());
  registerInstrumentations({ instrumentations });
  onExit(() => provider.shutdown());
  return provider;
}
