import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaults } from '@surety/config';
import { readJaegerTrace, toWaterfall } from '@surety/telemetry';
import { startProcessStack, type ProcessStack } from './support/process-stack.js';
import { placeOrder, waitForTerminal } from './support/stack.js';
import { waitFor } from './support/wait.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const queryUrl = defaults.jaegerQueryUrl;
// Every hop an order's trace crosses, the gateway's charge included.
const hops = ['api', 'payment', 'inventory', 'saga', 'notification', 'gateway'];

let stack: ProcessStack;

beforeAll(async () => {
  // The real Jaeger make run starts (built by scripts/tools.sh when missing; a no-op when it runs).
  const up = spawnSync('bash', ['scripts/jaeger.sh', 'up'], { cwd: root, encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`scripts/jaeger.sh up failed:\n${up.stderr}`);
  stack = await startProcessStack({
    OTEL_EXPORTER_OTLP_ENDPOINT: defaults.otlpEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    JAEGER_QUERY_URL: queryUrl,
  });
}, 600_000);

afterAll(async () => {
  await stack?.stop();
});

function surety(args: string[]) {
  return spawnSync('bin/surety', args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: stack.resources.env.DATABASE_URL, JAEGER_QUERY_URL: queryUrl },
  });
}

describe("an order's trace in Jaeger", () => {
  it('is printed by `surety trace` and rendered by the page the customer page links to, api to gateway', async () => {
    const placed = await placeOrder(stack.urls.api, [{ sku: 'TEA-GREEN', quantity: 1 }]);
    expect(placed.status).toBe(202);
    const orderId = placed.body.id;
    await waitForTerminal(stack.resources.pool, [orderId]);
    const row = await stack.resources.pool.query<{ trace_id: string }>(
      'SELECT trace_id FROM orders.orders WHERE id = $1',
      [orderId],
    );
    const traceId = row.rows[0]!.trace_id;
    // Spans arrive in batches from six processes: wait until Jaeger holds every hop's.
    await waitFor(
      'every hop in Jaeger',
      async () => toWaterfall(await readJaegerTrace(queryUrl, traceId)).services,
      (services) => hops.every((hop) => services.includes(hop)),
      { timeoutMs: 30_000, intervalMs: 250 },
    );

    const printed = surety(['trace', orderId]);
    expect(printed.status, printed.stderr).toBe(0);
    const lines = printed.stdout.trimEnd().split('\n');
    expect(lines[0]).toContain(`trace ${traceId}`);
    // The first span is the api's request; the gateway's charge is somewhere under the payment's call.
    expect(lines[2]).toMatch(/ api +POST \/orders$/);
    const gateway = lines.findIndex((line) => / gateway +.*POST/.test(line));
    expect(gateway).toBeGreaterThan(2);
    for (const hop of hops) expect(printed.stdout).toMatch(new RegExp(` ${hop} `));

    const config = (await (await fetch(`${stack.urls.api}/config.json`)).json()) as { traceWaterfall: boolean };
    expect(config.traceWaterfall).toBe(true);
    const page = await fetch(`${stack.urls.api}/orders/${orderId}/trace`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain(`trace ${traceId}`);
    expect(html).toMatch(/ gateway +.*POST/);
  });

  it('says clearly when there is no such order, or no such trace', async () => {
    const unknown = randomUUID();
    const printed = surety(['trace', unknown, '--wait', '0']);
    expect(printed.status).toBe(1);
    expect(printed.stderr).toContain(`no order ${unknown}`);
    expect(surety(['trace', 'not-an-id']).stderr).toContain('usage: surety trace');
    expect((await fetch(`${stack.urls.api}/orders/${unknown}/trace`)).status).toBe(404);
    // An order whose trace Jaeger never received.
    await stack.resources.pool.query(
      `INSERT INTO orders.orders (id, customer_id, total_cents, trace_id) VALUES ($1, 'untraced', 100, $2)`,
      [unknown, '0af7651916cd43dd8448eb211c80319c'],
    );
    const missing = surety(['trace', unknown, '--wait', '0']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('holds no trace 0af7651916cd43dd8448eb211c80319c');
    const page = await fetch(`${stack.urls.api}/orders/${unknown}/trace`);
    expect(page.status).toBe(404);
    expect(page.headers.get('retry-after')).toBe('2');
  });
});
