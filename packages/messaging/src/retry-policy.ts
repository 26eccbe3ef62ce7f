/** How a consumer retries work that failed in a way that may pass. */
export interface RetryPolicy {
  /** Delay before each retry; past the last tier, the last delay repeats. */
  delaysMs: readonly number[];
  /** Attempts in all, the first included, before the message goes to the DLQ. */
  budget: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  delaysMs: Object.freeze([1_000, 10_000, 60_000]),
  budget: 5,
});

export function delayLabel(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** retryQueueName names the TTL queue that holds a message for `ms` before it returns. */
export function retryQueueName(queue: string, ms: number): string {
  return `${queue}.retry.${delayLabel(ms)}`;
}

export type RetryDecision =
  { action: 'retry'; delayMs: number; attempt: number } | { action: 'dead-letter'; attempt: number };

/**
 * decideRetry tells what to do after failed attempt number `attempt` (1-based): wait in the next
 * delay tier, or give up when the budget is spent or the error cannot pass by waiting.
 */
export function decideRetry(policy: RetryPolicy, attempt: number, retryable: boolean): RetryDecision {
  if (!retryable || attempt >= policy.budget || policy.delaysMs.length === 0) {
    return { action: 'dead-letter', attempt };
  }
  const tier = Math.min(attempt - 1, policy.delaysMs.length - 1);
  return { action: 'retry', delayMs: policy.delaysMs[tier] ?? 0, attempt };
}
