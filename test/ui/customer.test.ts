import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { setGatewayFaults, startStack, type ServiceName, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  fillOrder,
  launchBrowser,
  newCustomerContext,
  orderIdShown,
  screenshot,
  statusOf,
  waitForStatus,
} from './support/browser.js';

// The relay and the saga start later, so the test decides when the pipeline may act.
let stack: Stack;
let browser: Browser;
const jaegerUiUrl = 'http://127.0.0.1:16686';

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    // The api leaves its events to the relay, which starts later: the page shows each step arrive.
    startStack({ without: ['relay', 'saga'], env: { JAEGER_UI_URL: jaegerUiUrl, OUTBOX_DISPATCH: 'relay' } }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const started = new Set<ServiceName>();

/** ensureRunning starts a service held back at the start, once. */
async function ensureRunning(...names: ServiceName[]): Promise<void> {
  for (const name of names.filter((n) => !started.has(n))) {
    started.add(name);
    await stack.start(name);
  }
}

async function openShop(customerId: string): Promise<Page> {
  const page = await (await newCustomerContext(browser, customerId)).newPage();
  await page.goto(`${stack.apiUrl}/`);
  return page;
}

async function ordersOf(customerId: string) {
  return (
    await stack.pool.query<{ id: string; status: string }>(
      'SELECT id, status FROM orders.orders WHERE customer_id = $1',
      [customerId],
    )
  ).rows;
}

describe('the customer page tells the truth, live', () => {
  const customerId = `ui-${randomUUID().slice(0, 8)}`;
  let page: Page;
  let orderId: string;

  it('shows the order PENDING from the 202, before any consumer has acted', async () => {
    page = await openShop(customerId);
    await fillOrder(page, { 'TEA-GREEN': 2, 'MUG-WHITE': 1 });
    await page.getByRole('button', { name: 'Place order' }).click();
    await waitForStatus(page, 'PENDING', 10_000);
    orderId = orderIdShown(page);

    // Nothing downstream has seen the order: its event is still in the outbox, no charge, no reservation.
    const outbox = await stack.pool.query<{ status: string }>('SELECT status FROM orders.outbox WHERE order_id = $1', [
      orderId,
    ]);
    expect(outbox.rows.map((r) => r.status)).toEqual(['pending']);
    const charges = await stack.pool.query('SELECT 1 FROM gateway.charges WHERE order_id = $1', [orderId]);
    expect(charges.rowCount).toBe(0);
    expect(await page.locator('li[data-step="placed"]:not(.waiting)').count()).toBe(1);
    await screenshot(page, 'pending');
  });

  it('with the saga stopped, stays PENDING even once charged and reserved, and a reload still shows it', async () => {
    await ensureRunning('relay');
    // The relay's publish appears on the page by itself.
    await page.locator('li[data-step="published"]:not(.waiting)').waitFor({ timeout: 15_000 });
    await waitFor(
      'the charge and the reservation',
      async () =>
        (
          await stack.pool.query(
            `SELECT 1 FROM gateway.charges WHERE order_id = $1 AND status = 'captured'
             UNION ALL SELECT 1 FROM inventory.reservations WHERE order_id = $1 AND status = 'reserved'`,
            [orderId],
          )
        ).rowCount,
      (n) => n === 2,
      { timeoutMs: 20_000 },
    );
    expect(await statusOf(page).getAttribute('data-status')).toBe('PENDING');

    await page.reload();
    await waitForStatus(page, 'PENDING', 10_000);
    expect(orderIdShown(page)).toBe(orderId);
    await page.locator(`[data-testid="my-orders"] button[data-order-id="${orderId}"]`).waitFor({ timeout: 10_000 });
    await screenshot(page, 'pending-saga-stopped');
  });

  it('turns CONFIRMED on screen without a reload once the saga runs again', async () => {
    // A reload would forget this mark: finding it afterwards proves the page changed by itself.
    await page.evaluate('window.notReloaded = true');
    await ensureRunning('saga');
    await waitForStatus(page, 'CONFIRMED', 30_000);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await page.locator('li[data-step="confirmed"]:not(.waiting)').waitFor();
    // The page started the order's trace; the timeline links it to Jaeger.
    const traceLink = page.locator('.trace a');
    const traceId = (
      await stack.pool.query<{ trace_id: string }>('SELECT trace_id FROM orders.orders WHERE id = $1', [orderId])
    ).rows[0]?.trace_id;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await traceLink.getAttribute('href')).toBe(`${jaegerUiUrl}/trace/${traceId}`);
    await screenshot(page, 'confirmed');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'confirmed-phone');
  });
});

describe('a refusal is shown with its reason', () => {
  beforeAll(() => ensureRunning('relay', 'saga'));

  it('with the gateway declining: CANCELLED with its reason', async () => {
    await setGatewayFaults(stack.gatewayUrl, { declineRate: 1 });
    try {
      const page = await openShop(`ui-${randomUUID().slice(0, 8)}`);
      await fillOrder(page, { 'TEA-BLACK': 1 });
      await page.getByRole('button', { name: 'Place order' }).click();
      // With the pipeline running, PENDING may last only milliseconds; the first tests prove it is shown.
      await waitForStatus(page, 'CANCELLED', 30_000);
      expect(await page.getByTestId('order-reason').textContent()).toMatch(/payment declined/);
      expect(await page.locator('li[data-step="placed"]:not(.waiting)').count()).toBe(1);
      await screenshot(page, 'cancelled-declined');
    } finally {
      await setGatewayFaults(stack.gatewayUrl, { declineRate: 0 });
    }
  });

  it('out of stock: CANCELLED with its reason, and the refund of the captured charge', async () => {
    const page = await openShop(`ui-${randomUUID().slice(0, 8)}`);
    await fillOrder(page, { 'SAMPLER-LTD': 26 });
    await page.getByRole('button', { name: 'Place order' }).click();
    await waitForStatus(page, 'CANCELLED', 30_000);
    expect(await page.getByTestId('order-reason').textContent()).toMatch(/out of stock: SAMPLER-LTD/);
    await page
      .getByTestId('refund')
      .filter({ hasText: /Refunded 650\.00/ })
      .waitFor({ timeout: 20_000 });
    await screenshot(page, 'cancelled-refunded');
  });
});

describe('one click, one order', () => {
  beforeAll(() => ensureRunning('relay', 'saga'));

  it('a double click on "Place order" and a retry after a lost answer make one order', async () => {
    const customerId = `ui-${randomUUID().slice(0, 8)}`;
    const page = await openShop(customerId);
    const keys: string[] = [];
    let answersLost = 0;
    await page.route(
      (url) => url.pathname === '/orders',
      async (route) => {
        const request = route.request();
        if (request.method() !== 'POST') return route.continue();
        keys.push(request.headers()['idempotency-key'] ?? '');
        if (answersLost === 0) {
          // The server takes the order; its answer never reaches the page.
          answersLost++;
          await route.fetch();
          return route.abort('connectionreset');
        }
        return route.continue();
      },
    );
    await fillOrder(page, { 'FILTER-50': 3 });
    await page.getByRole('button', { name: 'Place order' }).dblclick();
    // The pipeline may settle it within moments of the retry: any status means the page has the order.
    await page.getByTestId('order-status').waitFor({ timeout: 15_000 });

    expect(answersLost).toBe(1);
    expect(keys.length).toBe(2);
    expect(new Set(keys).size).toBe(1);
    const orders = await ordersOf(customerId);
    expect(orders.map((o) => o.id)).toEqual([orderIdShown(page)]);
    await waitForStatus(page, 'CONFIRMED', 30_000);
    await screenshot(page, 'one-order-after-retry');
  });
});

describe('a live connection that drops', () => {
  beforeAll(() => ensureRunning('relay', 'saga'));

  it('is said on the page, which reads the order every few seconds instead and still shows the truth', async () => {
    const page = await openShop(`ui-${randomUUID().slice(0, 8)}`);
    await page.route(
      (url) => url.pathname.endsWith('/events'),
      (route) => route.abort('connectionreset'),
    );
    await fillOrder(page, { 'TIN-SMALL': 1 });
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByRole('alert').filter({ hasText: 'Live updates are interrupted' }).waitFor({ timeout: 10_000 });
    await waitForStatus(page, 'CONFIRMED', 30_000);
    await screenshot(page, 'live-lost-polling');
  });
});
