import { FastifyOtelInstrumentation } from '@fastify/otel';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, NoopSpanProcessor, ParentBasedSampler } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { readTracingConfig } from './config.js';
import { onExit } from './exit-hooks.js';

// Probes and scrapes are not part of any order's story.
const quietPaths = new Set(['/healthz', '/readyz', '/metrics']);

function pathOf(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}

/**
 * startTracing starts OpenTelemetry for one service before anything it instruments is loaded.
 * Exporting (configured by the standard OTEL_* variables), the SDK samples as OTEL_TRACES_SAMPLER
 * and OTEL_TRACES_SAMPLER_ARG say (parent-based, so one order's trace is kept or dropped whole).
 * Not exporting, nothing is recorded unless a caller's trace was sampled; unrecorded spans still
 * carry trace and span ids, so logs and outbox rows name the order's trace either way.
 */
export function startTracing(service: string, env?: NodeJS.ProcessEnv): NodeSDK {
  const config = readTracingConfig(env);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName ?? service }),
    ...(config.exports
      ? {}
      : {
          spanProcessors: [new NoopSpanProcessor()],
          sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
        }),
    ...(config.exportsMetrics ? {} : { metricReaders: [] }),
    ...(config.exportsLogs ? {} : { logRecordProcessors: [] }),
    instrumentations: [
      // These carry the trace across hops (HTTP in and out, AMQP), so they run whether or not
      // anything is exported: logs and outbox rows name the order's trace either way.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => quietPaths.has(pathOf(request.url)) }),
      new UndiciInstrumentation(),
      new AmqplibInstrumentation(),
      // These only add spans inside a hop: worth their cost only when spans are exported.
      ...(config.exports
        ? [
            new PgInstrumentation({ requireParentSpan: true }),
            new FastifyOtelInstrumentation({
              registerOnInitialization: true,
              ignorePaths: (route: { url: string }) => quietPaths.has(pathOf(route.url)),
            }),
          ]
        : []),
    ],
  });
  sdk.start();
  onExit(() => sdk.shutdown());
  return sdk;
}
