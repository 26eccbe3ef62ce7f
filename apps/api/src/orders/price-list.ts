import type { Pool } from '@surety/db';

/**
 * PriceList keeps the catalogue's prices in memory, read again once they are older than `maxAgeMs`
 * and at once when an order names a SKU they do not hold (a product added since), so placing an
 * order costs no read of its own. A price changed in the table reaches new orders within `maxAgeMs`.
 */
export class PriceList {
  private prices: Promise<Map<string, number>> | undefined;
  private readAt = 0;

  constructor(
    private readonly pool: Pool,
    private readonly maxAgeMs = 1_000,
  ) {}

  /** pricesOf answers the price of every SKU it knows, after a fresh read if one of `skus` is missing. */
  async pricesOf(skus: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const known = await this.current(Date.now() - this.readAt > this.maxAgeMs);
    return skus.every((sku) => known.has(sku)) ? known : this.current(true);
  }

  private current(readAgain: boolean): Promise<Map<string, number>> {
    if (readAgain || !this.prices) {
      this.readAt = Date.now();
      const reading = this.read();
      // A failed read is not kept: the next order reads again.
      reading.catch(() => {
        if (this.prices === reading) this.prices = undefined;
      });
      this.prices = reading;
    }
    return this.prices;
  }

  private async read(): Promise<Map<string, number>> {
    const result = await this.pool.query<{ sku: string; price_cents: number }>({
      name: 'price-list',
      text: 'SELECT sku, price_cents FROM orders.products',
    });
    return new Map(result.rows.map((row) => [row.sku, row.price_cents]));
  }
}
