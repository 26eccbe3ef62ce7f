import { describe, expect, it } from 'vitest';
import { readTracingConfig } from './config.js';

describe('readTracingConfig', () => {
  it('exports only when the standard variables ask for it', () => {
    expect(readTracingConfig({}).exports).toBe(false);
    expect(readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).exporters).toEqual(['otlp']);
    expect(readTracingConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).exports).toBe(
      true,
    );
    expect(readTracingConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).exports).toBe(true);
    expect(readTracingConfig({ OTEL_TRACES_EXPORTER: 'console,otlp' }).exporters).toEqual(['console', 'otlp']);
    expect(
      readTracingConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).exports,
    ).toBe(false);
  });

  it('reads the OTLP protocol, traces first, and refuses what it cannot export', () => {
    expect(readTracingConfig({}).otlpProtocol).toBe('http/protobuf');
    expect(readTracingConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlpProtocol).toBe('http/json');
    expect(
      readTracingConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })
        .otlpProtocol,
    ).toBe('grpc');
    expect(() => readTracingConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon' })).toThrow(/not one of/);
    expect(() => readTracingConfig({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
  });

  it('names the service from OTEL_SERVICE_NAME when set', () => {
    expect(readTracingConfig({ OTEL_SERVICE_NAME: 'payment-eu' }).serviceName).toBe('payment-eu');
    expect(readTracingConfig({}).serviceName).toBeUndefined();
  });
});
