import { Type } from '@sinclair/typebox';
import { defaults, readEnv } from '@surety/config';

const Env = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ default: defaults.apiPort, minimum: 0, maximum: 65535 }),
  DATABASE_URL: Type.String({ default: defaults.databaseUrl }),
  API_BODY_LIMIT_BYTES: Type.Integer({ default: 64 * 1024, minimum: 1024 }),
  DATABASE_POOL_SIZE: Type.Integer({ default: 20, minimum: 1 }),
  AMQP_URL: Type.String({ default: defaults.amqpUrl }),
  ORDERS_RATE_LIMIT: Type.Integer({ default: 60, minimum: 1 }),
  ORDERS_RATE_WINDOW_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  API_SHED_WAITING: Type.Optional(Type.Integer({ minimum: 1 })),
  ADMIN_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  LOG_LEVEL: Type.String({ default: 'info' }),
});

export type ApiConfig = ReturnType<typeof loadApiConfig>;

export function loadApiConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = readEnv(Env, env);
  return Object.freeze({
    host: parsed.HOST,
    port: parsed.PORT,
    databaseUrl: parsed.DATABASE_URL,
    bodyLimitBytes: parsed.API_BODY_LIMIT_BYTES,
    poolSize: parsed.DATABASE_POOL_SIZE,
    amqpUrl: parsed.AMQP_URL,
    /** Orders one customer may place per window before answers turn to 429. */
    rateLimit: { max: parsed.ORDERS_RATE_LIMIT, windowMs: parsed.ORDERS_RATE_WINDOW_MS },
    /** Requests waiting for a database connection beyond which new orders are shed with 503. */
    shedWhenWaiting: parsed.API_SHED_WAITING ?? parsed.DATABASE_POOL_SIZE,
    /** Enables the /admin routes; without it they do not exist. */
    adminToken: parsed.ADMIN_TOKEN,
    logLevel: parsed.LOG_LEVEL,
  });
}
