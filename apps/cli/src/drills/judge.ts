import type { Evidence } from './evidence.js';

export interface Verdict {
  invariant: string;
  verdict: 'PASS' | 'FAIL';
  /** The numbers behind the verdict. */
  evidence: string;
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function verdict(invariant: string, pass: boolean, evidence: string): Verdict {
  return { invariant, verdict: pass ? 'PASS' : 'FAIL', evidence };
}

/**
 * judge checks the invariants of docs/architecture.md against the evidence alone: the gateway's
 * ledgers and request log, each service's tables, and the broker's queues.
 */
export function judge(evidence: Evidence, options: { expectPoison: boolean }): Verdict[] {
  const { orders } = evidence;
  const verdicts: Verdict[] = [];

  const pending = orders.filter((o) => o.status === 'PENDING');
  const confirmed = orders.filter((o) => o.status === 'CONFIRMED');
  const cancelled = orders.filter((o) => o.status === 'CANCELLED');
  // An acknowledged order the database does not have was lost; a run that had none accepted proved nothing.
  const found = new Set(orders.map((o) => o.id));
  const lost = evidence.accepted.filter((id) => !found.has(id)).length;
  verdicts.push(
    verdict(
      '1 every accepted order is CONFIRMED or CANCELLED',
      evidence.accepted.length > 0 && lost === 0 && pending.length === 0,
      `${evidence.accepted.length} accepted: ${confirmed.length} confirmed, ${cancelled.length} cancelled, ` +
        `${pending.length} pending, ${lost} missing`,
    ),
  );

  const successful = evidence.charges.filter((c) => c.status === 'captured' || c.status === 'refunded');
  const chargesPerOrder = countBy(successful, (c) => c.orderId);
  const doubled = [...chargesPerOrder.values()].filter((n) => n > 1).length;
  const extraCharges = [...chargesPerOrder.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
  const refundedOrders = new Set(evidence.refunds.map((r) => r.orderId));
  const capturedOf = new Map(successful.map((c) => [c.orderId, c.status]));
  const unrefunded = cancelled.filter((o) => capturedOf.get(o.id) === 'captured').length;
  const confirmedUncharged = confirmed.filter((o) => (chargesPerOrder.get(o.id) ?? 0) === 0).length;
  const requests = evidence.chargeRequests.reduce((sum, r) => sum + r.executed + r.replayed + r.faulted, 0);
  const repeatedOrders = evidence.chargeRequests.filter((r) => r.executed + r.replayed > 1).length;
  verdicts.push(
    verdict(
      '2 at most one successful charge per order; cancelled orders refunded',
      doubled === 0 && unrefunded === 0 && confirmedUncharged === 0,
      `gateway log: ${requests} charge requests, ${repeatedOrders} orders asked more than once; ` +
        `${successful.length} successful charges, ${doubled} orders charged twice or more (${extraCharges} extra); ` +
        `${refundedOrders.size} refunded, ${unrefunded} cancelled orders left charged, ${confirmedUncharged} confirmed orders never charged`,
    ),
  );

  const confirmedQuantity = new Map<string, number>();
  for (const order of confirmed) {
    for (const line of order.lines)
      confirmedQuantity.set(line.sku, (confirmedQuantity.get(line.sku) ?? 0) + line.quantity);
  }
  const skus = Object.keys(evidence.stockAfter);
  const mismatched = skus.filter((sku) => {
    const before = evidence.stockBefore[sku];
    const after = evidence.stockAfter[sku];
    if (!before || !after) return true;
    const taken = before.available - after.available;
    return taken !== (confirmedQuantity.get(sku) ?? 0) || after.reserved - before.reserved !== taken;
  });
  const negative = skus.filter((sku) => (evidence.stockAfter[sku]?.available ?? 0) < 0);
  verdicts.push(
    verdict(
      '3 stock taken equals confirmed lines; never negative',
      mismatched.length === 0 && negative.length === 0,
      `${[...confirmedQuantity.values()].reduce((a, b) => a + b, 0)} units in confirmed orders; ` +
        `mismatched SKUs: ${mismatched.join(', ') || 'none'}; negative: ${negative.join(', ') || 'none'}`,
    ),
  );

  const notificationCounts = countBy(evidence.notifications, (n) => `${n.orderId}/${n.about}`);
  const terminal = [...confirmed, ...cancelled];
  const missing = terminal.filter((o) => !notificationCounts.has(`${o.id}/order.${o.status.toLowerCase()}`)).length;
  const repeated = [...notificationCounts.values()].filter((n) => n > 1).length;
  verdicts.push(
    verdict(
      '4 exactly one notification per order and outcome',
      missing === 0 && repeated === 0,
      `${evidence.notifications.length} notifications for ${terminal.length} settled orders; ${missing} missing, ${repeated} repeated`,
    ),
  );

  const deadLetterQueues = Object.entries(evidence.queueDepths).filter(([name]) => name.endsWith('.dlq'));
  const liveQueues = Object.entries(evidence.queueDepths).filter(([name]) => !name.endsWith('.dlq'));
  const stranded = liveQueues.filter(([, depth]) => depth > 0);
  const poisonIds = new Set(evidence.poisonInjected);
  const unexpectedLetters = evidence.deadLetters.filter((l) => !poisonIds.has(l.messageId));
  verdicts.push(
    verdict(
      '5 nothing lost: outbox drained, every message acked or dead-lettered',
      evidence.unpublishedOutboxRows === 0 && stranded.length === 0 && unexpectedLetters.length === 0,
      `${evidence.unpublishedOutboxRows} unpublished outbox rows; queues not empty: ${stranded.map(([n, d]) => `${n}=${d}`).join(', ') || 'none'}; ` +
        `${deadLetterQueues.reduce((sum, [, d]) => sum + d, 0)} dead letters, ${unexpectedLetters.length} not injected on purpose` +
        (unexpectedLetters[0] ? ` (first: ${unexpectedLetters[0].reason})` : ''),
    ),
  );

  if (options.expectPoison) {
    const quarantined = evidence.deadLetters.filter((l) => poisonIds.has(l.messageId)).length;
    verdicts.push(
      verdict(
        '6 every poison message in its DLQ; the rest kept flowing',
        quarantined === poisonIds.size && pending.length === 0,
        `${poisonIds.size} injected, ${quarantined} in a DLQ`,
      ),
    );
  }
  return verdicts;
}
