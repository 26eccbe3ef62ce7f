/** What tracing reads of the standard OpenTelemetry environment; the SDK reads the rest itself. */
export interface TracingConfig {
  /** True when the OTEL_* variables ask for traces to be exported. */
  exports: boolean;
  /** The span exporters OTEL_TRACES_EXPORTER names (`otlp` when only an OTLP endpoint is set). */
  exporters: readonly TraceExporterName[];
  /** OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else the standard default. */
  otlpProtocol: OtlpProtocol;
  /** OTEL_SERVICE_NAME, when set, names the service instead of the app. */
  serviceName: string | undefined;
}

export const traceExporterNames = ['otlp', 'console'] as const;
export type TraceExporterName = (typeof traceExporterNames)[number];
export const otlpProtocols = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof otlpProtocols)[number];

function oneOf<T extends string>(allowed: readonly T[], value: string, variable: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`${variable}: "${value}" is not one of ${allowed.join(', ')}`);
}

/**
 * readTracingConfig reads the standard OTEL_* variables that decide whether, where and how traces
 * are exported. There is no OpenTelemetry metrics or logs pipeline: Prometheus scrapes prom-client,
 * and logs are pino's JSON on stdout.
 */
export function readTracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const exporters =
    named.length > 0
      ? named.filter((n) => n !== 'none').map((n) => oneOf(traceExporterNames, n, 'OTEL_TRACES_EXPORTER'))
      : endpoint
        ? (['otlp'] as const)
        : [];
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  return Object.freeze({
    exports: exporters.length > 0,
    exporters: Object.freeze([...new Set(exporters)]),
    otlpProtocol: oneOf(otlpProtocols, protocol, 'OTEL_EXPORTER_OTLP_PROTOCOL'),
    serviceName: env.OTEL_SERVICE_NAME,
  });
}
