import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { queues } from '@surety/messaging';
import { startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { launchBrowser, screenshot } from './support/browser.js';

const adminToken = 'an-ops-token-for-the-ui-tests';
let stack: Stack;
let browser: Browser;
let page: Page;
let reportsDir: string;
const drillRun = '2026-01-02T03-04-05-678Z';

beforeAll(async () => {
  reportsDir = await mkdtemp(join(tmpdir(), 'surety-reports-'));
  await mkdir(join(reportsDir, 'drills', drillRun), { recursive: true });
  await writeFile(join(reportsDir, 'drills', drillRun, 'report.md'), '# Drill: payment-crash-before-commit\n\nPASS\n');
  [stack, browser] = await Promise.all([
    startStack({
      env: { ADMIN_TOKEN: adminToken, RETRY_DELAYS_MS: '50,100', RETRY_BUDGET: '3', REPORTS_DIR: reportsDir },
    }),
    launchBrowser(),
  ]);
  page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
});
afterAll(async () => {
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
