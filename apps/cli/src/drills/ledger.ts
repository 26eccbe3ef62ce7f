import type { Evidence } from './evidence.js';
import type { Verdict } from './judge.js';

/** A span in which clients were refused, from the start of the load. */
export interface Unavailability {
  fromSeconds: number;
  toSeconds: number;
  refusals: number;
}

/**
 * The drill's ledger, Jepsen-style: what clients were told, and what became of it, counted from the
 * client's side and from the systems of record at each hop.
 */
export interface Ledger {
  /** POSTs the api acknowledged (202). */
  acknowledged: number;
  /** Acknowledged orders the database does not have. */
  acknowledgedThenLost: number;
  /** Outbox rows of the drill's orders, and those marked published (once the broker confirmed them, unless the contrast skips confirms). */
  outboxRows: number;
  markedPublished: number;
  /** Rows marked published whose event a consumer bound to it never took in, nor dead-lettered. */
  publishedThenLost: number;
  /** Deliveries the consumers took in (inbox rows), and deliveries the broker made again. */
  deliveriesTakenIn: number;
  redeliveries: number;
  /** Effects beyond one per order: charges beyond the first, notifications beyond one per outcome. */
  duplicatedEffects: number;
  /** When clients were refused (503, or no answer), refusals less than `gapMs` apart in one span. */
  unavailability: Unavailability[];
}

/** unavailabilityOf merges refusal times (ms from the start of the load) into spans. */
export function unavailabilityOf(refusedAtMs: readonly number[], gapMs = 1_000): Unavailability[] {
  const spans: Unavailability[] = [];
  for (const at of [...refusedAtMs].sort((a, b) => a - b)) {
    const last = spans.at(-1);
    if (last && at - last.toSeconds * 1000 <= gapMs) {
      last.toSeconds = at / 1000;
      last.refusals += 1;
    } else {
      spans.push({ fromSeconds: at / 1000, toSeconds: at / 1000, refusals: 1 });
    }
  }
  return spans;
}

function extraPerKey<T>(items: readonly T[], key: (item: T) => string): number {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
}

/** ledgerOf draws the ledger from the evidence, the message counts and the load's refusals. */
export function ledgerOf(
  evidence: Pick<Evidence, 'accepted' | 'orders' | 'charges' | 'notifications'>,
  messages: {
    outboxRows: number;
    markedPublished: number;
    publishedThenLost: number;
    deliveriesTakenIn: number;
    redeliveries: number;
  },
  refusedAtMs: readonly number[],
): Ledger {
  const found = new Set(evidence.orders.map((order) => order.id));
  const successful = evidence.charges.filter((charge) => charge.status === 'captured' || charge.status === 'refunded');
  return {
    acknowledged: evidence.accepted.length,
    acknowledgedThenLost: evidence.accepted.filter((id) => !found.has(id)).length,
    ...messages,
    duplicatedEffects:
      extraPerKey(successful, (charge) => charge.orderId) +
      extraPerKey(evidence.notifications, (notification) => `${notification.orderId} ${notification.about}`),
    unavailability: unavailabilityOf(refusedAtMs),
  };
}

/** describeLedger is the ledger in lines, for the report. */
export function describeLedger(ledger: Ledger): [string, string][] {
  const spans = ledger.unavailability.map(
    (span) => `${span.fromSeconds.toFixed(1)}–${span.toSeconds.toFixed(1)} s (${span.refusals} refused)`,
  );
  return [
    ['acknowledged, then lost', `${ledger.acknowledgedThenLost} of ${ledger.acknowledged} acknowledged (202)`],
    ['outbox rows', `${ledger.outboxRows}, ${ledger.markedPublished} marked published`],
    ['published, then lost', `${ledger.publishedThenLost} deliveries never made of what was marked published`],
    ['deliveries', `${ledger.deliveriesTakenIn} taken in, ${ledger.redeliveries} delivered again (expected, deduped)`],
    ['duplicated effects', String(ledger.duplicatedEffects)],
    ['clients refused', spans.length > 0 ? spans.join(', ') : 'never'],
  ];
}

/** ledgerVerdicts are the ledger's own verdicts: nothing acknowledged or published is lost, no effect doubled. */
export function ledgerVerdicts(ledger: Ledger): Verdict[] {
  const zero = (invariant: string, count: number, evidence: string): Verdict => ({
    invariant,
    verdict: count === 0 ? 'PASS' : 'FAIL',
    evidence,
  });
  return [
    zero(
      'ledger: acknowledged, then lost',
      ledger.acknowledgedThenLost,
      `${ledger.acknowledgedThenLost} of ${ledger.acknowledged} acknowledged orders missing from the database`,
    ),
    zero(
      'ledger: published, then lost',
      ledger.publishedThenLost,
      `${ledger.publishedThenLost} deliveries of ${ledger.markedPublished} published events never reached their consumer or a DLQ`,
    ),
    zero(
      'ledger: duplicated effects',
      ledger.duplicatedEffects,
      `${ledger.duplicatedEffects} charges or notifications beyond one per order`,
    ),
  ];
}
