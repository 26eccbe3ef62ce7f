import type { Pool, PoolClient } from './pool.js';

/** The NOTIFY channels: hints that something changed, for listeners that also read for themselves. */
export const channels = {
  /** An outbox got rows; the payload is its schema. Wakes the relays. */
  outbox: 'surety_outbox',
  /** An order's story moved on; the payload is its id. Wakes the api's live views. */
  orderChanged: 'surety_order_changed',
} as const;

export interface Notification {
  channel: string;
  payload: string;
}

const pendingByTransaction = new WeakMap<PoolClient, Notification[]>();
const notifiers = new WeakMap<Pool, PostCommitNotifier>();

/**
 * notifyAfterCommit asks for a NOTIFY once the transaction on `tx` commits (withTransaction sends
 * it), never if it rolls back. It is not sent from inside the transaction: a transaction that
 * NOTIFYs holds PostgreSQL's one cluster-wide notify lock through its commit and WAL flush, so every
 * such transaction on the server would commit one at a time.
 */
export function notifyAfterCommit(tx: PoolClient, channel: string, payload: string): void {
  const pending = pendingByTransaction.get(tx) ?? [];
  pending.push({ channel, payload });
  pendingByTransaction.set(tx, pending);
}

/** takeNotifications hands over, and forgets, what a transaction asked to notify. */
export function takeNotifications(tx: PoolClient): Notification[] {
  const pending = pendingByTransaction.get(tx) ?? [];
  pendingByTransaction.delete(tx);
  return pending;
}

/**
 * notifySoon sends notifications in the background, after whatever wrote the change committed.
 * Notifications are hints (every listener also polls or re-reads), so a failure to send is dropped.
 */
export function notifySoon(pool: Pool, notifications: readonly Notification[]): void {
  if (notifications.length === 0) return;
  let notifier = notifiers.get(pool);
  if (!notifier) {
    notifier = new PostCommitNotifier(pool);
    notifiers.set(pool, notifier);
  }
  notifier.add(notifications);
}

/**
 * PostCommitNotifier sends one NOTIFY statement at a time per pool, carrying every distinct
 * notification that arrived meanwhile: under load, many commits share one short notify-only
 * transaction, which writes no WAL.
 */
class PostCommitNotifier {
  private readonly queued = new Map<string, Notification>();
  private sending = false;

  constructor(private readonly pool: Pool) {}

  add(notifications: readonly Notification[]): void {
    for (const notification of notifications) {
      this.queued.set(`${notification.channel}\u0000${notification.payload}`, notification);
    }
    if (!this.sending) void this.flush();
  }

  private async flush(): Promise<void> {
    this.sending = true;
    while (this.queued.size > 0) {
      const batch = [...this.queued.values()];
      this.queued.clear();
      await this.pool
        .query('SELECT pg_notify(channel, payload) FROM unnest($1::text[], $2::text[]) AS n(channel, payload)', [
          batch.map((n) => n.channel),
          batch.map((n) => n.payload),
        ])
        .catch(() => undefined);
    }
    this.sending = false;
  }
}
