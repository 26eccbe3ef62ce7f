import { FastifyOtelInstrumentation } from '@fastify/otel';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
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
 * Spans are always recorded, so logs carry real trace ids and every hop continues the trace; they
 * are exported (OTLP, configured by the standard OTEL_* variables) only when an exporter is set.
 */
export function startTracing(service: string): NodeSDK {
  const config = readTracingConfig();
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName ?? service }),
    ...(config.exports ? {} : { spanProcessors: [new NoopSpanProcessor()] }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => quietPaths.has(pathOf(request.url)) }),
      new UndiciInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
      new AmqplibInstrumentation(),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (route) => quietPaths.has(pathOf(route.url)),
      }),
    ],
  });
  sdk.start();
  onExit(() => sdk.shutdown());
  return sdk;
}
