import { Type } from '@sinclair/typebox';
import { defaults, readEnv } from '@surety/config';
import { emittingSchemas, type SchemaName } from '@surety/db';

const Env = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ default: 9101, minimum: 0, maximum: 65535 }),
  DATABASE_URL: Type.String({ default: defaults.databaseUrl }),
  AMQP_URL: Type.String({ default: defaults.amqpUrl }),
  RELAY_MODE: Type.Union([Type.Literal('polling'), Type.Literal('cdc')], { default: 'polling' }),
  RELAY_CDC_SLOT: Type.String({ default: 'surety_outbox', pattern: '^surety[a-z0-9_]{0,57}$' }),
  RELAY_CDC_BUFFER_ROWS: Type.Integer({ default: 5_000, minimum: 1 }),
  RELAY_SCHEMAS: Type.String({ default: emittingSchemas.join(',') }),
  RELAY_BATCH_SIZE: Type.Integer({ default: 200, minimum: 1, maximum: 2000 }),
  RELAY_POLL_INTERVAL_MS: Type.Integer({ default: 1000, minimum: 10 }),
  RELAY_IDLE_POLL_MAX_MS: Type.Integer({ default: 5_000, minimum: 10 }),
  RELAY_SWEEP_AFTER_MS: Type.Integer({ default: 2_000, minimum: 0 }),
  RELAY_CONFIRMS: Type.Union([Type.Literal('wait'), Type.Literal('skip')], { default: 'wait' }),
  SURETY_FAILPOINTS: Type.String({ default: '' }),
  LOG_LEVEL: Type.String({ default: 'info' }),
});

export type RelayConfig = ReturnType<typeof loadRelayConfig>;

export function loadRelayConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = readEnv(Env, env);
  const relaySchemas = parsed.RELAY_SCHEMAS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = relaySchemas.filter((s) => !(emittingSchemas as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`RELAY_SCHEMAS: no outbox in ${unknown.join(', ')}`);
  return Object.freeze({
    host: parsed.HOST,
    port: parsed.PORT,
    databaseUrl: parsed.DATABASE_URL,
    amqpUrl: parsed.AMQP_URL,
    /** polling: claim rows from the tables; cdc: read them from the WAL through a replication slot. */
    mode: parsed.RELAY_MODE,
    /** The CDC relay's logical replication slot; `surety…`, so the slot-lag gauge and alert see it. */
    slot: parsed.RELAY_CDC_SLOT,
    maxBufferedRows: parsed.RELAY_CDC_BUFFER_ROWS,
    schemas: relaySchemas as SchemaName[],
    batchSize: parsed.RELAY_BATCH_SIZE,
    pollIntervalMs: parsed.RELAY_POLL_INTERVAL_MS,
    idlePollMaxMs: Math.max(parsed.RELAY_POLL_INTERVAL_MS, parsed.RELAY_IDLE_POLL_MAX_MS),
    /** Rows younger than this are left to the writer that publishes them after its commit. */
    sweepAfterMs: parsed.RELAY_SWEEP_AFTER_MS,
    /**
     * wait: a row is marked published once the broker confirmed it. skip marks it as soon as it is
     * written to the socket, and loses what the broker never got: it exists for the contrast drill
     * (surety drill --relay-skips-confirms), never for use.
     */
    confirms: parsed.RELAY_CONFIRMS,
    failpoints: parsed.SURETY_FAILPOINTS,
    logLevel: parsed.LOG_LEVEL,
  });
}
