/** What tracing reads of the standard OpenTelemetry environment; the SDK reads the rest itself. */
export interface TracingConfig {
  /** True when the OTEL_* variables ask for traces to be exported. */
  exports: boolean;
  /** OTEL_SERVICE_NAME, when set, names the service instead of the app. */
  serviceName: string | undefined;
  /** True when OTEL_METRICS_EXPORTER names an exporter: only then does an OTel metrics pipeline run. */
  exportsMetrics: boolean;
  /** True when OTEL_LOGS_EXPORTER names an exporter; pino's JSON on stdout is the log pipeline otherwise. */
  exportsLogs: boolean;
}

const names = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '' && v !== 'none');

/** readTracingConfig reads the standard OTEL_* variables that decide whether and as what to export. */
export function readTracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const exporter = env.OTEL_TRACES_EXPORTER;
  const exports =
    exporter !== undefined
      ? exporter !== 'none'
      : Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  return Object.freeze({
    exports,
    serviceName: env.OTEL_SERVICE_NAME,
    // Unset means "none" here, not the SDK's default of OTLP: Prometheus scrapes prom-client, and an
    // unread OTLP metrics pipeline costs CPU on every export interval.
    exportsMetrics: names(env.OTEL_METRICS_EXPORTER).length > 0,
    exportsLogs: names(env.OTEL_LOGS_EXPORTER).length > 0,
  });
}
