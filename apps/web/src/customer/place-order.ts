import { ApiError, apiErrorOf, type Order } from '../api.js';

export interface OrderDraft {
  customerId: string;
  items: { sku: string; quantity: number }[];
}

const backoffMs = [500, 1000, 2000, 4000];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * placeOrder POSTs a draft under one Idempotency-Key (and one trace) and retries, with the same key, whatever may
 * not have reached the server or may not have been answered (a network failure, 503, 429): the
 * server answers a repeated key with the order it already took, so a retry never orders twice.
 * Resolves with the 202's order (PENDING); rejects with the last ApiError.
 */
export async function placeOrder(
  draft: OrderDraft,
  identity: { idempotencyKey: string; traceparent: string },
  onRetry: (attempt: number, why: string) => void,
): Promise<Order> {
  for (let attempt = 1; ; attempt++) {
    const last = attempt > backoffMs.length;
    let response: Response;
    try {
      response = await fetch('/orders', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': identity.idempotencyKey,
          traceparent: identity.traceparent,
        },
        body: JSON.stringify(draft),
      });
    } catch {
      if (last)
        throw new ApiError(0, 'network', 'the server could not be reached; nothing is known about this order yet');
      onRetry(attempt, 'the connection failed');
      await sleep(backoffMs[attempt - 1] ?? 4000);
      continue;
    }
    if (response.status === 202) return (await response.json()) as Order;
    const error = await apiErrorOf(response);
    if (last || (response.status !== 503 && response.status !== 429)) throw error;
    onRetry(attempt, error.message);
    await sleep(error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : (backoffMs[attempt - 1] ?? 4000));
  }
}
