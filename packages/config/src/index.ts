import { type Static, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The addresses every script and app falls back to (see docs/architecture.md). */
export const defaults = Object.freeze({
  apiPort: 8080,
  gatewayUrl: 'http://127.0.0.1:8090',
  amqpUrl: 'amqp://guest:guest@127.0.0.1:5699',
  rabbitManagementUrl: 'http://guest:guest@127.0.0.1:15699',
  databaseUrl: 'postgres://postgres@127.0.0.1:55432/surety',
  /** Jaeger, as `make run` starts it: OTLP over HTTP in, the query API out. */
  otlpEndpoint: 'http://127.0.0.1:4318',
  jaegerQueryUrl: 'http://127.0.0.1:16686',
  /** The Prometheus scripts/prometheus.sh starts, with the project's alert rules. */
  prometheusUrl: 'http://127.0.0.1:19090',
});

export class ConfigError extends Error {
  readonly code = 'SURETY_ERR_CONFIG';
}

/**
 * readEnv parses the environment through a schema whose keys are variable names: defaults are
 * applied, strings are converted to the declared types, and every wrong or missing value is named
 * in one ConfigError.
 */
export function readEnv<S extends TObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): Readonly<Static<S>> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const candidate = Value.Convert(schema, Value.Default(schema, picked));
  const problems = [...Value.Errors(schema, candidate)].map(
    (e) => `${e.path.slice(1) || '(root)'}: ${e.message} (got ${JSON.stringify(e.value)})`,
  );
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(candidate as Static<S>);
}
