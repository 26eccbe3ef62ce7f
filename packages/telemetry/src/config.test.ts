import { describe, expect, it } from 'vitest';
import { readTracingConfig } from './config.js';

describe('readTracingConfig', () => {
  it('exports only when the standard variables ask for it', () => {
    expect(readTracingConfig({}).exports).toBe(false);
    expect(readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).exports).toBe(true);
    expect(readTracingConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).exports).toBe(
      true,
    );
    expect(readTracingConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).exports).toBe(true);
    expect(
      readTracingConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).exports,
    ).toBe(false);
  });

  it('names the service from OTEL_SERVICE_NAME when set', () => {
    expect(readTracingConfig({ OTEL_SERVICE_NAME: 'payment-eu' }).serviceName).toBe('payment-eu');
    expect(readTracingConfig({}).serviceName).toBeUndefined();
  });
});

describe('readTracingConfig for metrics and logs', () => {
  it('runs no OTel metrics or logs pipeline unless an exporter is named', () => {
    expect(readTracingConfig({}).exportsMetrics).toBe(false);
    expect(readTracingConfig({ OTEL_METRICS_EXPORTER: 'none' }).exportsMetrics).toBe(false);
    expect(readTracingConfig({ OTEL_METRICS_EXPORTER: 'otlp' }).exportsMetrics).toBe(true);
    expect(readTracingConfig({}).exportsLogs).toBe(false);
    expect(readTracingConfig({ OTEL_LOGS_EXPORTER: 'otlp,none' }).exportsLogs).toBe(true);
  });
});
