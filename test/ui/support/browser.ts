import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** Where every UI test leaves its screenshots. */
export const screenshotDir = fileURLToPath(new URL('../../../reports/ui/', import.meta.url));

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * launchBrowser starts Debian's chromium headless, in a fresh profile, with every background
 * connection off: the machine may have no network, and chromium waits on those otherwise.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** newCustomerContext opens a browser context whose page remembers `customerId` as its customer. */
export async function newCustomerContext(browser: Browser, customerId: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await context.addInitScript({ content: `localStorage.setItem('surety.customerId', ${JSON.stringify(customerId)});` });
  return context;
}

/** screenshot saves the whole page as reports/ui/<name>.png and returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotDir, { recursive: true });
  const path = `${screenshotDir}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** statusOf is the status line's badge; its data-status is the status the page shows. */
export function statusOf(page: Page): Locator {
  return page.getByTestId('order-status').locator('strong');
}

/** waitForStatus waits until the page shows the order as `status`, without reloading it. */
export async function waitForStatus(page: Page, status: string, timeoutMs = 30_000): Promise<void> {
  await page.locator(`[data-testid="order-status"] strong[data-status="${status}"]`).waitFor({ timeout: timeoutMs });
}

/** orderIdShown reads the id of the order on screen from the page's address. */
export function orderIdShown(page: Page): string {
  const id = new URL(page.url()).searchParams.get('order');
  if (!id) throw new Error(`no order in the address ${page.url()}`);
  return id;
}

/** fillOrder sets the quantity of each SKU on the customer page. */
export async function fillOrder(page: Page, items: Record<string, number>): Promise<void> {
  await page.locator('input[data-sku]').first().waitFor();
  for (const [sku, quantity] of Object.entries(items)) await page.locator(`#qty-${sku}`).fill(String(quantity));
}
