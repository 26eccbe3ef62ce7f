import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { defaults, readEnv } from '@surety/config';
import { OutboxDispatchEnv } from '@surety/messaging';

const Env = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ default: defaults.apiPort, minimum: 0, maximum: 65535 }),
  DATABASE_URL: Type.String({ default: defaults.databaseUrl }),
  API_BODY_LIMIT_BYTES: Type.Integer({ default: 64 * 1024, minimum: 1024 }),
  DATABASE_POOL_SIZE: Type.Integer({ default: 20, minimum: 1 }),
  AMQP_URL: Type.String({ default: defaults.amqpUrl }),
  RABBITMQ_MANAGEMENT_URL: Type.String({ default: defaults.rabbitManagementUrl }),
  JAEGER_UI_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  JAEGER_QUERY_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  PROMETHEUS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  PROMETHEUS_SELECTOR: Type.String({ default: '' }),
  WEB_ROOT: Type.String({ default: fileURLToPath(new URL('../public/', import.meta.url)) }),
  REPORTS_DIR: Type.String({ default: fileURLToPath(new URL('../../../reports/', import.meta.url)) }),
  RUNBOOK_FILE: Type.String({ default: fileURLToPath(new URL('../../../docs/runbook.md', import.meta.url)) }),
  RUNBOOK_URL: Type.String({ default: '/docs/runbook.md' }),
  SSE_HEARTBEAT_MS: Type.Integer({ default: 15_000, minimum: 100 }),
  ORDERS_RATE_LIMIT: Type.Integer({ default: 60, minimum: 1 }),
  ORDERS_RATE_WINDOW_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  API_SHED_WAITING: Type.Optional(Type.Integer({ minimum: 1 })),
  API_SHED_LAG_MS: Type.Integer({ default: 20, minimum: 0 }),
  ADMIN_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  OUTBOX_DISPATCH: OutboxDispatchEnv,
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
    rabbitManagementUrl: parsed.RABBITMQ_MANAGEMENT_URL,
    /** Jaeger's UI; when set, the order timeline links its trace id there. */
    jaegerUiUrl: parsed.JAEGER_UI_URL,
    /** Jaeger's query API; when set, /orders/:id/trace renders the order's trace as a waterfall. */
    jaegerQueryUrl: parsed.JAEGER_QUERY_URL,
    /** A Prometheus that scrapes the pipeline; the ops page charts the four gauges from it. */
    prometheusUrl: parsed.PROMETHEUS_URL,
    /** Label matchers picking this deployment's processes in that Prometheus (empty: every process it scrapes). */
    prometheusSelector: parsed.PROMETHEUS_SELECTOR,
    /** The built front end (apps/web builds into apps/api/public). */
    webRoot: parsed.WEB_ROOT,
    /** Where drills and the bench write their reports, listed on the ops page. */
    reportsDir: parsed.REPORTS_DIR,
    /** The runbook the api serves at /docs/runbook.md, when the file is there. */
    runbookFile: parsed.RUNBOOK_FILE,
    /** Where the ops page's gauges link for their triage (a section anchor is appended). */
    runbookUrl: parsed.RUNBOOK_URL,
    /** How often an idle live order stream sends a heartbeat. */
    sseHeartbeatMs: parsed.SSE_HEARTBEAT_MS,
    /** Orders one customer may place per window before answers turn to 429. */
    rateLimit: { max: parsed.ORDERS_RATE_LIMIT, windowMs: parsed.ORDERS_RATE_WINDOW_MS },
    /** Requests waiting for a database connection beyond which new orders are shed with 503. */
    shedWhenWaiting: parsed.API_SHED_WAITING ?? parsed.DATABASE_POOL_SIZE,
    /** The event loop's lag (worst over the last 200 to 400 ms) beyond which new orders are shed with 503; 0 never sheds on lag. */
    shedAboveLagMs: parsed.API_SHED_LAG_MS,
    /** Enables the /admin routes and the ops page's data; without it they do not exist. */
    adminToken: parsed.ADMIN_TOKEN,
    /** Who publishes a placed order's event: the api once it committed, or only the relay. */
    outboxDispatch: parsed.OUTBOX_DISPATCH,
    logLevel: parsed.LOG_LEVEL,
  });
}
