import { randomUUID } from 'node:crypto';
import { loadApiConfig, startApi } from '@surety/api';
import { loadGatewayConfig, startGateway } from '@surety/gateway';
import { loadInventoryConfig, startInventory } from '@surety/inventory';
import { loadNotificationConfig, startNotification } from '@surety/notification';
import { loadPaymentConfig, startPayment } from '@surety/payment';
import { loadRelayConfig, startRelay } from '@surety/relay';
import { loadSagaConfig, startSaga } from '@surety/saga';
import { createPool, type Pool } from '@surety/db';
import { createLogger, type RunningService } from '@surety/telemetry';
import { createTestDatabase, createTestVhost, type TestDatabase, type TestVhost } from './isolation.js';
import { waitFor } from './wait.js';

/** setGatewayFaults dials the gateway's faults while it runs. */
export { setGatewayFaults } from '../../apps/cli/src/gateway-faults.js';

/** Every Surety service answers HTTP: its API, or its probes and metrics. */
export type UrlService = RunningService & { url: string };

export type ServiceName = 'relay' | 'payment' | 'inventory' | 'saga' | 'notification';

export interface StackOptions {
  /** Services not to start (a test may start its own instead). */
  without?: ServiceName[];
  env?: Record<string, string>;
}

export interface Stack {
  apiUrl: string;
  gatewayUrl: string;
  db: TestDatabase;
  vhost: TestVhost;
  /** The test's own pool on the test database, for reading evidence. */
  pool: Pool;
  env: Record<string, string>;
  /** Every running service's base URL (its /metrics among others), by name. */
  urls(): Record<string, string>;
  /** start runs a service the stack was started without. */
  start(name: ServiceName): Promise<UrlService>;
  stop(): Promise<void>;
}

/** isolatedResources gives a test file its own database and vhost, with an env pointing at them. */
export async function isolatedResources(extraEnv: Record<string, string> = {}) {
  const [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    AMQP_URL: vhost.amqpUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    GATEWAY_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RETRY_DELAYS_MS: '100,200,400',
    RELAY_POLL_INTERVAL_MS: '200',
    // Slots are the server's, not the database's: each test database gets its own.
    RELAY_CDC_SLOT: db.name,
    ORDERS_RATE_LIMIT: '100000',
    // Every service of a test stack shares the test's one event loop: its load is not the api's.
    API_SHED_LAG_MS: '0',
    ...extraEnv,
  };
  const pool = createPool(db.url, createLogger('test-evidence', 'silent'), { max: 4 });
  return { db, vhost, env, pool };
}

/** startStack runs every Surety service in this process against an isolated database and vhost. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const { db, vhost, env: baseEnv, pool } = await isolatedResources(options.env);
  const services: RunningService[] = [];
  const without = new Set(options.without ?? []);
  const urls: Record<string, string> = {};
  const gateway = await startGateway(loadGatewayConfig(baseEnv));
  services.push(gateway);
  urls.gateway = gateway.url;
  const env = { ...baseEnv, GATEWAY_URL: gateway.url };
  const starters: Record<ServiceName, () => Promise<UrlService>> = {
    relay: () => startRelay(loadRelayConfig(env)),
    payment: () => startPayment(loadPaymentConfig(env)),
    inventory: () => startInventory(loadInventoryConfig(env)),
    saga: () => startSaga(loadSagaConfig(env)),
    notification: () => startNotification(loadNotificationConfig(env)),
  };
  for (const [name, start] of Object.entries(starters) as [ServiceName, () => Promise<UrlService>][]) {
    if (without.has(name)) continue;
    const service = await start();
    services.push(service);
    urls[name] = service.url;
  }
  const api = await startApi(loadApiConfig(env));
  services.push(api);
  urls.api = api.url;
  return {
    apiUrl: api.url,
    gatewayUrl: gateway.url,
    db,
    vhost,
    pool,
    env,
    urls: () => ({ ...urls }),
    async start(name) {
      const service = await starters[name]();
      services.splice(services.length - 1, 0, service);
      urls[name] = service.url;
      return service;
    },
    async stop() {
      for (const service of services.reverse()) await service.stop();
      await pool.end();
      await Promise.all([db.drop(), vhost.drop()]);
    },
  };
}

export interface PlacedOrder {
  status: number;
  body: { id: string; status: string; [key: string]: unknown };
  /** The Retry-After of a refusal, 0 when there was none. */
  retryAfterSeconds: number;
}

/** placeOrder POSTs an order the way a client would. */
export async function placeOrder(
  apiUrl: string,
  items: { sku: string; quantity: number }[],
  { key = randomUUID(), customerId = 'customer-1' }: { key?: string; customerId?: string } = {},
): Promise<PlacedOrder> {
  const response = await fetch(`${apiUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ customerId, items }),
  });
  return {
    status: response.status,
    body: (await response.json()) as PlacedOrder['body'],
    retryAfterSeconds: Number(response.headers.get('retry-after') ?? 0),
  };
}

/**
 * placeOrderRetrying places an order as a client that honours the door's shedding does: a 503 is
 * sent again, with the same Idempotency-Key, after its Retry-After, up to ten times. For tests
 * about what happens behind the door, which a busy machine may make shed a burst.
 */
export async function placeOrderRetrying(
  apiUrl: string,
  items: { sku: string; quantity: number }[],
  { key = randomUUID(), customerId = 'customer-1' }: { key?: string; customerId?: string } = {},
): Promise<PlacedOrder> {
  for (let attempt = 1; ; attempt++) {
    const placed = await placeOrder(apiUrl, items, { key, customerId });
    if (placed.status !== 503 || attempt === 10) return placed;
    await new Promise((resolve) => setTimeout(resolve, Math.max(placed.retryAfterSeconds, 1) * 1000));
  }
}

/**
 * waitForTerminal waits until every order has left PENDING, and returns their statuses by id. On
 * timeout it names the orders still pending, each with the steps of its timeline, first.
 */
export async function waitForTerminal(pool: Pool, orderIds: string[], timeoutMs = 60_000) {
  const statuses = async () =>
    (
      await pool.query<{ id: string; status: string; reason: string | null }>(
        'SELECT id, status, reason FROM orders.orders WHERE id = ANY($1)',
        [orderIds],
      )
    ).rows;
  try {
    const rows = await waitFor(
      `${orderIds.length} orders to reach a terminal state`,
      statuses,
      (found) => found.length === orderIds.length && found.every((o) => o.status !== 'PENDING'),
      { timeoutMs, intervalMs: 200 },
    );
    return new Map(rows.map((row) => [row.id, row]));
  } catch (error) {
    const found = await statuses();
    const stuck = orderIds.filter((id) => !found.some((o) => o.id === id && o.status !== 'PENDING'));
    const timelines = await pool.query<{ order_id: string; steps: string[] }>(
      `SELECT order_id, array_agg(step ORDER BY at) AS steps FROM orders.order_timeline
        WHERE order_id = ANY($1) GROUP BY order_id`,
      [stuck],
    );
    const described = stuck
      .slice(0, 10)
      .map((id) => `${id}: ${timelines.rows.find((t) => t.order_id === id)?.steps.join(' → ') ?? 'no timeline'}`);
    throw new Error(
      `${stuck.length} of ${orderIds.length} orders still pending after ${timeoutMs} ms:\n${described.join('\n')}`,
      { cause: error },
    );
  }
}

/**
 * expectConfirmedAndChargedOnce waits until every order has settled, then checks from the gateway's
 * ledger that each is CONFIRMED with exactly one charge.
 */
export async function expectConfirmedAndChargedOnce(pool: Pool, orderIds: string[], timeoutMs = 60_000): Promise<void> {
  const outcome = await waitForTerminal(pool, orderIds, timeoutMs);
  const notConfirmed = [...outcome.values()].filter((o) => o.status !== 'CONFIRMED');
  if (notConfirmed.length > 0) throw new Error(`not confirmed: ${JSON.stringify(notConfirmed.slice(0, 5))}`);
  const charges = await pool.query<{ order_id: string; n: number }>(
    'SELECT order_id, count(*)::int AS n FROM gateway.charges WHERE order_id = ANY($1) GROUP BY order_id',
    [orderIds],
  );
  const chargedOnce = charges.rows.filter((row) => row.n === 1).length;
  if (charges.rowCount !== orderIds.length || chargedOnce !== orderIds.length) {
    throw new Error(
      `expected one charge for each of ${orderIds.length} orders; ${chargedOnce} charged once, ${charges.rowCount} charged at all`,
    );
  }
}
