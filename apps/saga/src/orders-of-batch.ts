import type { AnyEvent } from '@surety/contracts';
import type { TransactionQueries } from '@surety/db';
import { BatchRows } from '@surety/messaging';
import type { SagaState } from './state-machine.js';

export interface OrderRow {
  id: string;
  status: SagaState['status'];
  payment_status: SagaState['paymentStatus'];
  stock_status: SagaState['stockStatus'];
  reason: string | null;
  customer_id: string;
  total_cents: number;
}

/** One entry of an order's timeline, as the saga writes it. */
export interface TimelineStep {
  step: string;
  messageId: string | null;
  detail: Record<string, unknown> | null;
}

/**
 * OrdersOfBatch holds the orders a saga batch locked, and what its results changed: each handler
 * reads its order here and records its new state and timeline steps, and `write` sends one
 * statement for the whole batch once every handler has run. An order two results of the batch
 * changed is updated once, with both steps.
 */
export class OrdersOfBatch {
  private readonly steps = new Map<string, TimelineStep[]>();
  private written: Promise<{ rows: { id: string; seconds: number | null }[] }> | undefined;

  private constructor(private readonly rows: BatchRows<OrderRow>) {}

  /**
   * lock locks every order a batch's results are about, in one statement and in id order
   * (concurrent batches lock shared orders in the same order, so they wait instead of
   * deadlocking).
   */
  static async lock(events: readonly AnyEvent[], tx: TransactionQueries): Promise<OrdersOfBatch> {
    const ids = [...new Set(events.map((event) => event.orderId))].sort();
    const locked = await tx.query<OrderRow>({
      name: 'saga-lock-orders',
      text: `SELECT id, status, payment_status, stock_status, reason, customer_id, total_cents
               FROM orders.orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      values: [ids],
    });
    return new OrdersOfBatch(new BatchRows(new Map(locked.rows.map((row) => [row.id, row]))));
  }

  get(orderId: string): OrderRow | undefined {
    return this.rows.get(orderId);
  }

  /** change records an order's new state and the timeline steps that led to it, in order. */
  change(orderId: string, state: SagaState, steps: readonly TimelineStep[]): void {
    const row = this.rows.get(orderId);
    if (!row) throw new Error(`order ${orderId} is not locked by this batch`);
    this.rows.change(orderId, {
      ...row,
      status: state.status,
      payment_status: state.paymentStatus,
      stock_status: state.stockStatus,
      reason: state.reason,
    });
    this.steps.set(orderId, [...(this.steps.get(orderId) ?? []), ...steps]);
  }

  /**
   * write sends the batch's changes: every changed order updated once and its steps appended, a
   * microsecond apart so that the timeline keeps their order.
   */
  write(tx: TransactionQueries): void {
    const orders = this.rows.changed();
    if (orders.length === 0) return;
    const steps = [...this.steps].flatMap(([orderId, list]) => list.map((step) => ({ orderId, ...step })));
    this.written = tx.send<{ id: string; seconds: number | null }>({
      name: 'saga-apply',
      text: `WITH changed AS (
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
                 AS c(id, status, payment_status, stock_status, reason)
             ), updated AS (
               UPDATE orders.orders AS o
                  SET status = c.status, payment_status = c.payment_status, stock_status = c.stock_status,
                      reason = c.reason, updated_at = clock_timestamp(),
                      completed_at = CASE WHEN c.status <> 'PENDING' THEN coalesce(o.completed_at, clock_timestamp()) END
                 FROM changed AS c WHERE o.id = c.id
            RETURNING o.id, extract(epoch FROM o.completed_at - o.created_at)::float8 AS seconds
             ), steps AS (
               INSERT INTO orders.order_timeline (order_id, step, message_id, detail, at)
               SELECT s.order_id, s.step, s.message_id, s.detail, clock_timestamp() + (s.n - 1) * interval '1 microsecond'
                 FROM unnest($6::uuid[], $7::text[], $8::uuid[], $9::jsonb[]) WITH ORDINALITY AS s(order_id, step, message_id, detail, n)
             )
             SELECT id, seconds FROM updated`,
      values: [
        orders.map((o) => o.id),
        orders.map((o) => o.status),
        orders.map((o) => o.payment_status),
        orders.map((o) => o.stock_status),
        orders.map((o) => o.reason),
        steps.map((s) => s.orderId),
        steps.map((s) => s.step),
        steps.map((s) => s.messageId),
        steps.map((s) => (s.detail === null ? null : JSON.stringify(s.detail))),
      ],
    });
  }

  /**
   * secondsToComplete is how long an order took from placed to its final state, as the batch's
   * statement answered it: null while it has none. Read only once the batch has committed.
   */
  async secondsToComplete(orderId: string): Promise<number | null> {
    const answer = await this.written;
    return answer?.rows.find((row) => row.id === orderId)?.seconds ?? null;
  }
}
