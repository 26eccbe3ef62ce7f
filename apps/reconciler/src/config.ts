import { Type } from '@sinclair/typebox';
import { defaults, readEnv } from '@surety/config';

const Env = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ default: 9106, minimum: 0, maximum: 65535 }),
  DATABASE_URL: Type.String({ default: defaults.databaseUrl }),
  GATEWAY_URL: Type.String({ default: defaults.gatewayUrl }),
  INVENTORY_URL: Type.String({ default: 'http://127.0.0.1:9103' }),
  RECONCILE_AFTER_MS: Type.Integer({ default: 60_000, minimum: 0 }),
  RECONCILE_INTERVAL_MS: Type.Integer({ default: 15_000, minimum: 100 }),
  RECONCILE_COOLDOWN_MS: Type.Integer({ default: 60_000, minimum: 0 }),
  RECONCILE_BATCH: Type.Integer({ default: 100, minimum: 1 }),
  RECONCILE_ONCE: Type.Boolean({ default: false }),
  LOG_LEVEL: Type.String({ default: 'info' }),
});

export type ReconcilerConfig = ReturnType<typeof loadReconcilerConfig>;

export function loadReconcilerConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = readEnv(Env, env);
  return Object.freeze({
    host: parsed.HOST,
    port: parsed.PORT,
    databaseUrl: parsed.DATABASE_URL,
    gatewayUrl: parsed.GATEWAY_URL,
    inventoryUrl: parsed.INVENTORY_URL,
    /** An order PENDING longer than this is reconciled. */
    afterMs: parsed.RECONCILE_AFTER_MS,
    intervalMs: parsed.RECONCILE_INTERVAL_MS,
    /** A reconciled order is left to the saga this long before it is examined again. */
    cooldownMs: parsed.RECONCILE_COOLDOWN_MS,
    batch: parsed.RECONCILE_BATCH,
    /** One pass, then exit (a Kubernetes CronJob). */
    once: parsed.RECONCILE_ONCE,
    logLevel: parsed.LOG_LEVEL,
  });
}
