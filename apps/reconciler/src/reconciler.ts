import { Counter, type Registry } from 'prom-client';
import { createEvent } from '@surety/contracts';
import {
  appendToOutbox,
  channels,
  notifyAfterCommit,
  requeuePublished,
  type Pool,
  type PoolClient,
  withTransaction,
} from '@surety/db';
import type { Logger } from '@surety/telemetry';
import type { Authorities } from './authorities.js';
import { planFor, type Plan, type StuckOrder } from './plan.js';

// An arbitrary key for the advisory lock that serialises passes.
const RECONCILE_LOCK = 0x5e7e71;

export interface ReconcileReport {
  examined: number;
  factsForwarded: number;
  ordersRepublished: number;
  unreachable: number;
}

/**
 * Reconciler resolves orders stuck PENDING past a deadline: it asks the authorities what they
 * decided and feeds the missing decisions back through the normal events (see plan.ts). Several
 * may run at once: passes take an advisory lock in turn, orders are locked (SKIP LOCKED), and an
 * order it reconciled is left alone for a cool-down so the saga can act.
 */
export class Reconciler {
  private readonly actions: Counter<'action'>;

  constructor(
    private readonly pool: Pool,
    private readonly authorities: Authorities,
    private readonly options: { afterMs: number; cooldownMs: number; batch: number },
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.actions = new Counter({
      name: 'surety_reconciler_actions_total',
      help: 'What the reconciler did to stuck orders.',
      labelNames: ['action'],
      registers: [registry],
    });
  }

  async reconcileOnce(): Promise<ReconcileReport> {
    const report: ReconcileReport = { examined: 0, factsForwarded: 0, ordersRepublished: 0, unreachable: 0 };
    await withTransaction(this.pool, async (tx) => {
      // One pass at a time across every reconciler: a second one started meanwhile has nothing to do.
      const pass = await tx.query<{ ours: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ours', [RECONCILE_LOCK]);
      if (!pass.rows[0]?.ours) return;
      const stuck = await tx.query<{ id: string; payment_status: string | null; stock_status: string | null }>(
        `SELECT o.id, o.payment_status, o.stock_status FROM orders.orders o
          WHERE o.status = 'PENDING'
            AND o.created_at < clock_timestamp() - make_interval(secs => $1 / 1000.0)
            AND NOT EXISTS (SELECT 1 FROM orders.order_timeline t
                             WHERE t.order_id = o.id AND t.step = 'reconciled'
                               AND t.at > clock_timestamp() - make_interval(secs => $3 / 1000.0))
          ORDER BY o.created_at
          LIMIT $2
          FOR UPDATE OF o SKIP LOCKED`,
        [this.options.afterMs, this.options.batch, this.options.cooldownMs],
      );
      for (const row of stuck.rows) {
        report.examined += 1;
        const order: StuckOrder = { id: row.id, paymentStatus: row.payment_status, stockStatus: row.stock_status };
        const plan = await this.planOrSkip(order);
        if (!plan) {
          report.unreachable += 1;
          continue;
        }
        await this.apply(tx, order, plan);
        report.factsForwarded += plan.facts.length;
        report.ordersRepublished += plan.republishOrder ? 1 : 0;
      }
    });
    if (report.examined > 0) this.logger.info(report, 'reconciled stuck orders');
    return report;
  }

  private async planOrSkip(order: StuckOrder): Promise<Plan | undefined> {
    try {
      const [charge, reservation] = await Promise.all([
        this.authorities.chargeOf(order.id),
        this.authorities.reservationOf(order.id),
      ]);
      return planFor(order, charge, reservation);
    } catch (error) {
      this.actions.inc({ action: 'authority-unreachable' });
      this.logger.warn({ err: error, orderId: order.id }, 'cannot ask the authorities; trying on the next pass');
      return undefined;
    }
  }

  private async apply(tx: PoolClient, order: StuckOrder, plan: Plan): Promise<void> {
    for (const fact of plan.facts) {
      appendToOutbox(tx, 'orders', createEvent({ ...fact, correlationId: order.id }));
      this.actions.inc({ action: 'fact-forwarded' });
    }
    if (plan.republishOrder) {
      await requeuePublished(tx, 'orders', order.id, 'order.placed');
      this.actions.inc({ action: 'order-republished' });
    }
    await tx.query(`INSERT INTO orders.order_timeline (order_id, step, detail) VALUES ($1, 'reconciled', $2)`, [
      order.id,
      { forwarded: plan.facts.map((f) => f.type), republished: plan.republishOrder },
    ]);
    notifyAfterCommit(tx, channels.orderChanged, order.id);
    this.logger.info(
      { orderId: order.id, forwarded: plan.facts.map((f) => f.type), republished: plan.republishOrder },
      'order reconciled',
    );
  }
}
