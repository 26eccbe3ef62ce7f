import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { queues } from '@surety/messaging';
import { removeScrapeTargets, startPrometheus, writeScrapeAddresses } from '../../apps/cli/src/scrape-targets.js';
import { placeOrder, startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { launchBrowser, screenshot } from './support/browser.js';

const adminToken = 'an-ops-token-for-the-ui-tests';
let stack: Stack;
let browser: Browser;
let page: Page;
let reportsDir: string;
const drillRun = '2026-01-02T03-04-05-678Z';
const repoRoot = process.cwd();
const scrapeRun = `ui-ops-${process.pid}`;

beforeAll(async () => {
  reportsDir = await mkdtemp(join(tmpdir(), 'surety-reports-'));
  await mkdir(join(reportsDir, 'drills', drillRun), { recursive: true });
  await writeFile(join(reportsDir, 'drills', drillRun, 'report.md'), '# Drill: payment-crash-before-commit\n\nPASS\n');
  const prometheusUrl = await startPrometheus(repoRoot);
  [stack, browser] = await Promise.all([
    startStack({
      env: {
        ADMIN_TOKEN: adminToken,
        RETRY_DELAYS_MS: '50,100',
        RETRY_BUDGET: '3',
        REPORTS_DIR: reportsDir,
        PROMETHEUS_URL: prometheusUrl,
        // This stack's processes only: the local Prometheus may hold other runs' series.
        PROMETHEUS_SELECTOR: `run="${scrapeRun}"`,
      },
    }),
    launchBrowser(),
  ]);
  // The local Prometheus scrapes this stack's processes while the tests run.
  writeScrapeAddresses(
    repoRoot,
    scrapeRun,
    Object.fromEntries(Object.entries(stack.urls()).map(([name, url]) => [name, new URL(url).host])),
  );
  page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
});
afterAll(async () => {
  removeScrapeTargets(repoRoot, scrapeRun);
  await browser?.close();
  await stack?.stop();
  await rm(reportsDir, { recursive: true, force: true });
});

async function poisonPaymentQueue(): Promise<string> {
  const connection = await amqp.connect(stack.vhost.amqpUrl);
  const channel = await connection.createConfirmChannel();
  const messageId = randomUUID();
  channel.sendToQueue(queues.payment.name, Buffer.from('{"id": "half a message'), {
    messageId,
    type: 'order.placed',
  });
  await channel.waitForConfirms();
  await connection.close();
  return messageId;
}

describe('the ops page', () => {
  it('answers 401 without the token, and says so', async () => {
    expect((await fetch(`${stack.apiUrl}/admin/overview`)).status).toBe(401);
    await page.goto(`${stack.apiUrl}/ops`);
    await page.getByTestId('ops-problem').filter({ hasText: '401' }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('queues').count()).toBe(0);
    await screenshot(page, 'ops-unauthorized');
  });

  it('with the token, shows each queue with its depth, consumers and dead letters', async () => {
    await page.getByLabel('Admin token').fill(adminToken);
    await page.getByRole('button', { name: 'Show the pipeline' }).click();
    const paymentRow = page.locator('[data-testid="queues"] tr[data-queue="payment.orders"]');
    await paymentRow.waitFor({ timeout: 10_000 });
    for (const queue of Object.values(queues)) {
      await page.locator(`[data-testid="queues"] tr[data-queue="${queue.name}"]`).waitFor();
    }
    await waitFor(
      'the payment consumer counted',
      () => paymentRow.locator('[data-field="consumers"]').textContent(),
      (text) => Number(text) >= 1,
    );
    expect(await paymentRow.locator('[data-field="ready"]').textContent()).toMatch(/^\d+$/);
    await page.getByTestId('outbox').waitFor();
    await screenshot(page, 'ops');
  });

  it('shows a poisoned message in the dead-letter browser, and replays it after a dry run', async () => {
    const messageId = await poisonPaymentQueue();
    const row = page.locator(`[data-testid="dlq"] tr[data-message-id="${messageId}"]`);
    await row.waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain('SURETY_ERR_CONTRACT: body is not JSON');
    const replay = row.getByRole('button', { name: 'Replay' });
    expect(await replay.isDisabled()).toBe(true);

    await row.getByRole('button', { name: 'Dry run' }).click();
    await row.getByRole('status').filter({ hasText: 'dry run: would send it back to payment.orders' }).waitFor();
    await screenshot(page, 'ops-dlq');
    await replay.click();
    await row.getByRole('status').filter({ hasText: 'replayed to payment.orders' }).waitFor();

    const audit = await stack.pool.query<{ action: string }>('SELECT action FROM ops.dlq_audit WHERE message_id = $1', [
      messageId,
    ]);
    expect(audit.rows.map((r) => r.action)).toEqual(['replay']);
    // Still poison: it fails again and comes back, now counted as replayed once.
    await row.locator('td').nth(4).filter({ hasText: /^1$/ }).waitFor({ timeout: 20_000 });
  });

  it('charts the four gauges from Prometheus, each linked to its runbook section', async () => {
    // The queues' depths come from RabbitMQ, the latency from the saga's histogram.
    for (let i = 0; i < 3; i++) {
      await placeOrder(stack.apiUrl, [{ sku: 'TEA-GREEN', quantity: 1 }], { customerId: `gauges-${i}` });
    }
    const gauges = page.getByTestId('gauges');
    await gauges.waitFor({ timeout: 20_000 });
    for (const [section, title] of [
      ['lag', 'Lag'],
      ['dlq-depth', 'DLQ depth'],
      ['end-to-end-latency', 'End-to-end latency'],
      ['slot-lag', 'Slot lag'],
    ]) {
      const figure = gauges.locator(`figure[data-gauge="${section}"]`);
      expect(await figure.locator('figcaption').textContent()).toContain(title);
      expect(await figure.getByRole('link', { name: 'runbook' }).getAttribute('href')).toBe(
        `/docs/runbook.md#${section}`,
      );
      expect(await figure.locator('svg').count()).toBe(1);
    }
    // Prometheus scrapes every 5 s; the page asks every 15 s.
    // A latency is a rate of the saga's histogram: it needs orders settling across two scrapes.
    let more = 0;
    await waitFor(
      'a line on the lag and the latency charts',
      async () => {
        await placeOrder(stack.apiUrl, [{ sku: 'TEA-GREEN', quantity: 1 }], { customerId: `gauges-more-${more++}` });
        await page.reload();
        await gauges.waitFor({ timeout: 10_000 });
        return Promise.all(
          ['lag', 'end-to-end-latency'].map((section) =>
            gauges.locator(`figure[data-gauge="${section}"] polyline:not([points=""])`).count(),
          ),
        );
      },
      (counts) => counts.every((count) => count > 0),
      { timeoutMs: 60_000, intervalMs: 2_000 },
    );
    expect(await gauges.locator('p.warn').count()).toBe(0);
    const runbook = await fetch(`${stack.apiUrl}/docs/runbook.md`);
    expect(await runbook.text()).toContain('## Triage from the four gauges');
    await screenshot(page, 'ops-gauges');
  });

  it('lists the latest drill report and shows it', async () => {
    await page.getByRole('button', { name: drillRun }).click();
    await page.locator('pre.report').filter({ hasText: 'Drill: payment-crash-before-commit' }).waitFor();
    expect(
      (
        await fetch(`${stack.apiUrl}/admin/reports/drills/..%2F..%2Fetc`, {
          headers: { authorization: `Bearer ${adminToken}` },
        })
      ).status,
    ).toBe(400);
  });
});
