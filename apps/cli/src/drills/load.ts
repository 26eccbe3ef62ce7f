import { randomUUID } from 'node:crypto';
import { postOrder } from '../orders-client.js';

const skus = ['TEA-GREEN', 'TEA-BLACK', 'MUG-WHITE', 'KETTLE-1', 'FILTER-50', 'TIN-SMALL'];

export interface LoadResult {
  accepted: string[];
  /** Requests sent again with the same Idempotency-Key on purpose, and answers other than 202. */
  deliberateRetries: number;
  refusals: number;
  /** When each refusal came, in ms from the start of the load. */
  refusedAtMs: number[];
}

async function placeUntilAccepted(
  apiUrl: string,
  key: string,
  body: string,
  deadline: number,
  onRefused: () => void,
): Promise<{ id?: string; refusals: number }> {
  let refusals = 0;
  while (Date.now() < deadline) {
    const answer = await postOrder(apiUrl, key, body, 10_000);
    if (answer.status === 202) return { id: (JSON.parse(answer.body) as { id: string }).id, refusals };
    if (answer.status !== 0 && answer.status < 500 && answer.status !== 429) {
      throw new Error(`order refused with ${answer.status}`);
    }
    refusals += 1;
    onRefused();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { refusals };
}

/**
 * placeOrders sends `count` orders at `ratePerSecond`, each with its own Idempotency-Key, like a
 * careful client: a refused or failed request is sent again with the same key until accepted, and
 * one order in ten is sent twice on purpose.
 */
export async function placeOrders(
  apiUrl: string,
  options: {
    count: number;
    ratePerSecond: number;
    onProgress?: (placed: number) => void;
    /** Who places the i-th order; 50 customers in turn unless told. */
    customerOf?: (i: number) => string;
  },
): Promise<LoadResult> {
  const result: LoadResult = { accepted: [], deliberateRetries: 0, refusals: 0, refusedAtMs: [] };
  const deadline = Date.now() + Math.max(120_000, (options.count / options.ratePerSecond) * 4_000);
  const started = Date.now();
  const onRefused = () => result.refusedAtMs.push(Date.now() - started);
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < options.count; i++) {
    const due = started + (i * 1000) / options.ratePerSecond;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const key = randomUUID();
    const body = JSON.stringify({
      customerId: options.customerOf?.(i) ?? `drill-${i % 50}`,
      items: [{ sku: skus[i % skus.length]!, quantity: 1 + (i % 3) }],
    });
    inFlight.push(
      (async () => {
        const first = await placeUntilAccepted(apiUrl, key, body, deadline, onRefused);
        result.refusals += first.refusals;
        if (i % 10 === 0) {
          result.deliberateRetries += 1;
          const again = await placeUntilAccepted(apiUrl, key, body, deadline, onRefused);
          if (again.id !== first.id)
            throw new Error(`a retried key created another order (${first.id} then ${again.id})`);
        }
        if (first.id) result.accepted.push(first.id);
        options.onProgress?.(result.accepted.length);
      })(),
    );
  }
  await Promise.all(inFlight);
  return result;
}
