import { Type } from '@sinclair/typebox';
import { defaults, readEnv } from '@surety/config';

const Env = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  BASELINE_PORT: Type.Integer({ default: 8070, minimum: 0, maximum: 65535 }),
  DATABASE_URL: Type.String({ default: defaults.databaseUrl }),
  DATABASE_POOL_SIZE: Type.Integer({ default: 20, minimum: 1 }),
  GATEWAY_URL: Type.String({ default: defaults.gatewayUrl }),
  GATEWAY_TIMEOUT_MS: Type.Integer({ default: 5_000, minimum: 1 }),
  LOG_LEVEL: Type.String({ default: 'info' }),
});

export type BaselineConfig = ReturnType<typeof loadBaselineConfig>;

/** loadBaselineConfig reads the synchronous baseline's settings. */
export function loadBaselineConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = readEnv(Env, env);
  return Object.freeze({
    host: parsed.HOST,
    port: parsed.BASELINE_PORT,
    databaseUrl: parsed.DATABASE_URL,
    poolSize: parsed.DATABASE_POOL_SIZE,
    gatewayUrl: parsed.GATEWAY_URL,
    gatewayTimeoutMs: parsed.GATEWAY_TIMEOUT_MS,
    logLevel: parsed.LOG_LEVEL,
  });
}
