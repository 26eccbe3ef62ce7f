import { Type } from '@sinclair/typebox';
import { defaults, readEnv } from '@surety/config';

const Env = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ default: defaults.apiPort, minimum: 0, maximum: 65535 }),
  DATABASE_URL: Type.String({ default: defaults.databaseUrl }),
  API_BODY_LIMIT_BYTES: Type.Integer({ default: 64 * 1024, minimum: 1024 }),
  DATABASE_POOL_SIZE: Type.Integer({ default: 20, minimum: 1 }),
  AMQP_URL: Type.String({ default: defaults.amqpUrl }),
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
    /** Enables the /admin routes; without it they do not exist. */
    adminToken: parsed.ADMIN_TOKEN,
    logLevel: parsed.LOG_LEVEL,
  });
}
