import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcessStack, type PipelineApp, type ProcessStack } from './support/process-stack.js';
import { startSpanSink, type ReceivedSpan, type SpanSink } from './support/span-sink.js';
import { setGatewayFaults, waitForTerminal } from './support/stack.js';
import { waitFor } from './support/wait.js';

const kind = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
// The relay is a hop only for what its writer left to it (the api's first order, before its broker
// connection is up, say): writers publish their own events.
const hops: PipelineApp[] = ['api', 'payment', 'inventory', 'saga', 'notification', 'gateway'];
const outboxSpan = /^outbox (dispatch|relay) /;
const publishedBy = (type: string) => (span: ReceivedSpan) =>
  outboxSpan.test(span.name) && span.name.endsWith(` ${type}`);

const adminToken = randomBytes(16).toString('hex');

interface DeadLetters {
  letters: { messageId: string; body: string }[];
}

let sink: SpanSink;
let stack: ProcessStack;

beforeAll(async () => {
  sink = await startSpanSink();
  stack = await startProcessStack({
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    ADMIN_TOKEN: adminToken,
    // A handled message is logged at debug; failures at warn.
    LOG_LEVEL: 'debug',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '1.0',
    RETRY_BUDGET: '2',
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await sink?.close();
});

function newTraceparent(): { traceparent: string; traceId: string; spanId: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceparent: `00-${traceId}-${spanId}-01`, traceId, spanId };
}

async function placeTracedOrder(traceparent: string): Promise<string> {
  const response = await fetch(`${stack.urls.api}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomBytes(8).toString('hex'), traceparent },
    body: JSON.stringify({ customerId: 'customer-traced', items: [{ sku: 'TEA-GREEN', quantity: 1 }] }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

function spansOf(traceId: string): ReceivedSpan[] {
  return sink.spans().filter((span) => span.traceId === traceId);
}

/** orphans are the spans whose parent is not among `spans`: only the trace's entry, once all arrived. */
function orphans(spans: ReceivedSpan[]): ReceivedSpan[] {
  const ids = new Set(spans.map((span) => span.spanId));
  return spans.filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId));
}

function services(spans: ReceivedSpan[]): Set<string> {
  return new Set(spans.map((span) => span.service));
}

describe('one trace per order', () => {
  it('follows an order through every hop, the outbox included, in one trace', async () => {
    const { traceparent, traceId, spanId: callerSpanId } = newTraceparent();
    const orderId = await placeTracedOrder(traceparent);
    await waitForTerminal(stack.resources.pool, [orderId]);
    const spans = await waitFor(
      'spans from every hop',
      async () => spansOf(traceId),
      (found) =>
        hops.every((hop) => services(found).has(hop)) &&
        found.some((span) => span.service === 'notification' && span.kind === kind.consumer) &&
        orphans(found).length === 1,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const byId = new Map(spans.map((span) => [span.spanId, span]));

    // Every span's parent is in the trace, but for the api's request span, whose parent is the caller's.
    expect(orphans(spans).map((span) => [span.service, span.parentSpanId])).toEqual([['api', callerSpanId]]);

    // Every event's outbox span continues the trace of the transaction that wrote the row, as a child
    // of it: in the writer's own process once it committed, or in the relay, linked to its batch.
    const published = spans.filter((span) => outboxSpan.test(span.name));
    for (const type of ['order.placed', 'payment.captured', 'stock.reserved', 'order.confirmed']) {
      expect(published.some(publishedBy(type)), `${type} published`).toBe(true);
    }
    for (const span of published) {
      const writer = byId.get(span.parentSpanId ?? '');
      expect(writer?.service).not.toBe('relay');
      if (span.service !== 'relay') {
        expect(span.service).toBe(writer?.service);
        continue;
      }
      expect(span.links).toHaveLength(1);
      const batch = sink.spans().find((s) => s.spanId === span.links[0]?.spanId);
      expect(batch?.name).toMatch(/^outbox publish /);
      expect(batch?.traceId).not.toBe(traceId);
    }
    const placed = published.find(publishedBy('order.placed'));
    expect(byId.get(placed?.parentSpanId ?? '')?.service).toBe('api');

    // Each consumer's span is a child of a publish span, which is a child of an outbox span.
    for (const consumer of ['payment', 'inventory', 'saga', 'notification']) {
      const consumed = spans.filter((span) => span.service === consumer && span.kind === kind.consumer);
      expect(consumed.length, `${consumer} consume spans`).toBeGreaterThan(0);
      for (const span of consumed) {
        const publish = byId.get(span.parentSpanId ?? '');
        expect(publish?.kind).toBe(kind.producer);
        expect(byId.get(publish?.parentSpanId ?? '')?.name).toMatch(outboxSpan);
      }
    }

    // The gateway's charge is served inside the payment consumer's call to it.
    const charge = spans.find((span) => span.service === 'gateway' && span.kind === kind.server);
    const call = byId.get(charge?.parentSpanId ?? '');
    expect(call?.service).toBe('payment');
    expect(call?.kind).toBe(kind.client);
  });

  it('keeps the trace when a dead letter is replayed', async () => {
    const { traceparent, traceId } = newTraceparent();
    await setGatewayFaults(stack.urls.gateway, { failureRate: 1 });
    const orderId = await placeTracedOrder(traceparent);
    const admin = (path: string, body?: unknown) =>
      fetch(`${stack.urls.api}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const letters = await waitFor(
      'the order in the payment DLQ',
      async () => ((await (await admin('/admin/dlq?queue=payment.orders')).json()) as DeadLetters).letters,
      (found) => found.some((letter) => letter.body.includes(orderId)),
    );
    const letter = letters.find((found) => found.body.includes(orderId))!;
    await setGatewayFaults(stack.urls.gateway, { failureRate: 0 });
    const consumedBefore = spansOf(traceId).filter((s) => s.service === 'payment' && s.kind === kind.consumer).length;

    // The api replays it: an instrumented process whose own request is not the order's trace.
    expect((await admin('/admin/dlq/replay', { messageId: letter.messageId })).status).toBe(200);
    const outcome = await waitForTerminal(stack.resources.pool, [orderId]);
    expect(outcome.get(orderId)?.status).toBe('CONFIRMED');
    const spans = await waitFor(
      "the replayed message consumed in the order's trace",
      async () => spansOf(traceId),
      (found) => found.some(publishedBy('order.confirmed')),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(spans.filter((s) => s.service === 'payment' && s.kind === kind.consumer).length).toBeGreaterThan(
      consumedBefore,
    );
    expect([...services(spans)]).toEqual(expect.arrayContaining(hops));
  });
});

/** sample reads one sample's value from an exposition, or undefined when the series is absent. */
function sample(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value] as const),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(app: PipelineApp): Promise<string> {
  return (await fetch(`${stack.urls[app]}/metrics`)).text();
}

describe('metrics and logs after a short run', () => {
  it('exposes the series that matter, with values that match what happened', async () => {
    const placed = await Promise.all(Array.from({ length: 5 }, () => placeTracedOrder(newTraceparent().traceparent)));
    await waitForTerminal(stack.resources.pool, placed);
    const { rows } = await stack.resources.pool.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM orders.orders GROUP BY status',
    );
    const confirmed = rows.find((row) => row.status === 'CONFIRMED')?.n ?? 0;
    const orders = rows.reduce((sum, row) => sum + row.n, 0);
    const consumed = async (app: PipelineApp, queue: string) =>
      sample(await scrape(app), 'surety_messages_consumed_total', { queue, outcome: 'acked' });

    // Each order is one message to payment, inventory and notification, and two to the saga: the
    // payment's and the stock's results. The notification, last, answers nothing.
    const last = await waitFor(
      'the saga and the notification to have had every message',
      async () => [await consumed('saga', 'saga.results'), await consumed('notification', 'notification.orders')],
      ([saga, notification]) => saga === 2 * orders && notification === orders,
    );
    expect(last).toEqual([2 * orders, orders]);
    expect(await consumed('inventory', 'inventory.orders')).toBe(orders);
    expect(await consumed('payment', 'payment.orders')).toBe(orders);

    const saga = await scrape('saga');
    expect(sample(saga, 'surety_order_end_to_end_seconds_count', { outcome: 'CONFIRMED' })).toBe(confirmed);
    expect(saga).toMatch(/surety_order_end_to_end_seconds_bucket\{[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}"\}/);
    expect(sample(saga, 'surety_handler_duration_seconds_count', { queue: 'saga.results' })).toBe(2 * orders);
    expect(sample(saga, 'surety_broker_connected')).toBe(1);

    const api = await scrape('api');
    expect(sample(api, 'surety_orders', { state: 'CONFIRMED' })).toBe(confirmed);
    expect(sample(api, 'surety_orders', { state: 'PENDING' })).toBe(0);
    expect(sample(api, 'surety_db_pool_clients', { state: 'waiting' })).toBe(0);

    // Writers mark what they published within a second (the api within 50 ms).
    const relay = await waitFor(
      'every outbox row marked published',
      () => scrape('relay'),
      (exposition) => sample(exposition, 'surety_outbox_pending_rows', { schema: 'orders' }) === 0,
    );
    expect(sample(relay, 'surety_outbox_oldest_unpublished_seconds', { schema: 'orders' })).toBe(0);
    // Every order.placed reached the broker: published by the api after its commit, or by the relay.
    const dispatchedByApi =
      sample(api, 'surety_outbox_dispatched_total', { schema: 'orders', outcome: 'published' }) ?? 0;
    const relayedOrders = sample(relay, 'surety_relay_publish_batch_size_sum', { schema: 'orders' }) ?? 0;
    expect(dispatchedByApi).toBeGreaterThan(0);
    expect(dispatchedByApi + relayedOrders).toBeGreaterThanOrEqual(orders);

    const gateway = await scrape('gateway');
    const charges = await stack.resources.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM gateway.charges WHERE status = 'captured'",
    );
    // A request the gateway answers from its idempotency record counts again; a charge does not.
    expect(sample(gateway, 'surety_gateway_requests_total', { result: 'captured' })).toBeGreaterThanOrEqual(
      charges.rows[0]?.n ?? 1,
    );
  });

  it('logs one line per message outcome, with the ids that find it again', async () => {
    const lines = stack
      .output('payment')
      .split('\n')
      .filter((line) => line.includes('"message handled"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatchObject({
        service: 'payment',
        outcome: expect.any(String),
        orderId: expect.any(String),
        messageId: expect.any(String),
        correlationId: expect.any(String),
        traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
        spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
    }
    // Each line is written in its own message's trace, which is its order's: not in another
    // message's of the same batch.
    const traces = await stack.resources.pool.query<{ id: string; trace_id: string }>(
      'SELECT id, trace_id FROM orders.orders WHERE id = ANY($1)',
      [[...new Set(lines.map((line) => String(line.orderId)))]],
    );
    const traceOf = new Map(traces.rows.map((row) => [row.id, row.trace_id]));
    for (const line of lines) expect(line.traceId).toBe(traceOf.get(String(line.orderId)));
  });
});
