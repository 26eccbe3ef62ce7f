import { Type } from '@sinclair/typebox';
import { defaults, readEnv } from '@surety/config';

const Env = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  GATEWAY_PORT: Type.Integer({ default: 8090, minimum: 0, maximum: 65535 }),
  GATEWAY_DATABASE_URL: Type.String({ default: defaults.databaseUrl }),
  GATEWAY_DECLINE_RATE: Type.Number({ default: 0, minimum: 0, maximum: 1 }),
  GATEWAY_FAILURE_RATE: Type.Number({ default: 0, minimum: 0, maximum: 1 }),
  GATEWAY_LATENCY_MS: Type.Integer({ default: 0, minimum: 0 }),
  GATEWAY_HONOUR_IDEMPOTENCY_KEYS: Type.Boolean({ default: true }),
  LOG_LEVEL: Type.String({ default: 'info' }),
});

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

/** loadGatewayConfig reads the gateway's settings; DATABASE_URL is the fallback for its database. */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = readEnv(Env, { GATEWAY_DATABASE_URL: env.DATABASE_URL, ...env });
  return Object.freeze({
    host: parsed.HOST,
    port: parsed.GATEWAY_PORT,
    databaseUrl: parsed.GATEWAY_DATABASE_URL,
    faults: {
      declineRate: parsed.GATEWAY_DECLINE_RATE,
      failureRate: parsed.GATEWAY_FAILURE_RATE,
      latencyMs: parsed.GATEWAY_LATENCY_MS,
      honourIdempotencyKeys: parsed.GATEWAY_HONOUR_IDEMPOTENCY_KEYS,
    },
    logLevel: parsed.LOG_LEVEL,
  });
}
