import { Type } from '@sinclair/typebox';
import { defaults, readEnv } from '@surety/config';
import { loadConsumerConfig } from '@surety/messaging';

const Env = Type.Object({
  GATEWAY_URL: Type.String({ default: defaults.gatewayUrl }),
  GATEWAY_TIMEOUT_MS: Type.Integer({ default: 5_000, minimum: 1 }),
  GATEWAY_BREAKER_ERROR_PERCENT: Type.Integer({ default: 50, minimum: 1, maximum: 100 }),
  GATEWAY_BREAKER_VOLUME: Type.Integer({ default: 10, minimum: 1 }),
  GATEWAY_BREAKER_RESET_MS: Type.Integer({ default: 5_000, minimum: 100 }),
});

export type PaymentConfig = ReturnType<typeof loadPaymentConfig>;

export function loadPaymentConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = readEnv(Env, env);
  return Object.freeze({
    ...loadConsumerConfig(9102, env),
    gatewayUrl: parsed.GATEWAY_URL,
    gatewayTimeoutMs: parsed.GATEWAY_TIMEOUT_MS,
    breaker: {
      errorThresholdPercentage: parsed.GATEWAY_BREAKER_ERROR_PERCENT,
      volumeThreshold: parsed.GATEWAY_BREAKER_VOLUME,
      resetTimeoutMs: parsed.GATEWAY_BREAKER_RESET_MS,
    },
  });
}
