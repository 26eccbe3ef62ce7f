import { describe, expect, it } from 'vitest';
import { decideRetry, retryQueueName } from './retry-policy.js';

const policy = { delaysMs: [1_000, 10_000, 60_000], budget: 5 };

describe('decideRetry', () => {
  it('walks the delay tiers, then repeats the last one until the budget is spent', () => {
    const delays = [1, 2, 3, 4].map((attempt) => decideRetry(policy, attempt, true));
    expect(delays).toEqual([
      { action: 'retry', delayMs: 1_000, attempt: 1 },
      { action: 'retry', delayMs: 10_000, attempt: 2 },
      { action: 'retry', delayMs: 60_000, attempt: 3 },
      { action: 'retry', delayMs: 60_000, attempt: 4 },
    ]);
    expect(decideRetry(policy, 5, true)).toEqual({ action: 'dead-letter', attempt: 5 });
  });

  it('dead-letters a non-retryable error on its first attempt', () => {
    expect(decideRetry(policy, 1, false)).toEqual({ action: 'dead-letter', attempt: 1 });
  });

  it('names delay queues by their delay', () => {
    expect(retryQueueName('payment.orders', 10_000)).toBe('payment.orders.retry.10s');
    expect(retryQueueName('payment.orders', 250)).toBe('payment.orders.retry.250ms');
  });
});
