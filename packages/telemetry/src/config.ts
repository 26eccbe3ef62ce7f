/** What tracing reads of the standard OpenTelemetry environment; the SDK reads the rest itself. */
export interface TracingConfig {
  /** True when the OTEL_* variables ask for traces to be exported. */
  exports: boolean;
  /** OTEL_SERVICE_NAME, when set, names the service instead of the app. */
  serviceName: string | undefined;
}

/** readTracingConfig reads the standard OTEL_* variables that decide whether and as what to export. */
export function readTracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const exporter = env.OTEL_TRACES_EXPORTER;
  const exports =
    exporter !== undefined
      ? exporter !== 'none'
      : Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  return Object.freeze({ exports, serviceName: env.OTEL_SERVICE_NAME });
}
