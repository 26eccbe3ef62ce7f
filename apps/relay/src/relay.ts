import { randomUUID } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';
import { outboxBacklog, relayOutboxBatch, type OutboxBacklog, type Pool, type SchemaName } from '@surety/db';
import { oneReadPerScrape, type Logger } from '@surety/telemetry';
import type { RowPublisher } from './row-publisher.js';
import type { DueSchemas, Wakeup } from './wakeup.js';

export interface RelayOptions {
  pool: Pool;
  rowPublisher: RowPublisher;
  wakeup: Wakeup;
  schemas: readonly SchemaName[];
  batchSize: number;
  pollIntervalMs: number;
  /** The longest wait between passes that found nothing; a NOTIFY still wakes the relay at once. */
  idlePollMaxMs: number;
  /**
   * How old a row must be before a poll takes it: a younger one is its writer's to publish (see
   * OutboxDispatcher). A NOTIFY-driven pass takes every row: writers notify when they hand over.
   */
  sweepAfterMs: number;
  logger: Logger;
  registry: Registry;
}

/**
 * idlePollDelay is the wait before the next pass: the poll interval while rows flow, doubling with
 * each pass that found nothing up to `maxMs`. The poll only catches what a lost NOTIFY missed.
 */
export function idlePollDelay(intervalMs: number, maxMs: number, emptyPasses: number): number {
  return Math.min(maxMs, intervalMs * 2 ** Math.max(0, Math.min(emptyPasses - 1, 20)));
}

/**
 * PollingRelay ships every committed outbox row to the broker at least once: it claims a batch,
 * publishes it with confirms, and marks published only what the broker confirmed. Several relays
 * can run at once: claims skip rows another relay holds.
 */
export class PollingRelay {
  readonly id = `relay-${randomUUID().slice(0, 8)}`;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: RelayOptions) {
    const { registry } = options;
    const readBacklog = oneReadPerScrape(() => this.backlog());
    new Gauge({
      name: 'surety_outbox_pending_rows',
      help: 'Outbox rows not yet published.',
      labelNames: ['schema'],
      registers: [registry],
      async collect() {
        for (const { schema, unpublished } of await readBacklog()) this.set({ schema }, unpublished);
      },
    });
    new Gauge({
      name: 'surety_outbox_oldest_unpublished_seconds',
      help: 'Age of the oldest unpublished outbox row.',
      labelNames: ['schema'],
      registers: [registry],
      async collect() {
        for (const { schema, oldestAgeSeconds } of await readBacklog()) this.set({ schema }, oldestAgeSeconds);
      },
    });
  }

  /** backlog reads every relayed schema's unpublished count and oldest age. */
  backlog(): Promise<OutboxBacklog[]> {
    return outboxBacklog(this.options.pool, this.options.schemas);
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.wakeup.wake();
    await this.running;
  }

  /**
   * publishBacklog relays every unpublished row of every schema, however young, and answers with
   * the rows published: what a new replication slot will never stream.
   */
  async publishBacklog(): Promise<number> {
    return (await this.drainOnce(new Set(this.options.schemas))).published;
  }

  /**
   * drainOnce relays each due schema until a batch comes back short. It returns the rows published,
   * and whether rows the broker did not confirm were left pending for another pass.
   */
  private async drainOnce(due: DueSchemas = 'all'): Promise<{ published: number; leftPending: boolean }> {
    let published = 0;
    let leftPending = false;
    for (const schema of this.options.schemas) {
      if (due !== 'all' && !due.has(schema)) continue;
      for (;;) {
        const batch = await this.relayBatch(schema, due === 'all' ? this.options.sweepAfterMs : 0);
        published += batch.published;
        leftPending ||= batch.published < batch.claimed;
        if (batch.claimed < this.options.batchSize || batch.published < batch.claimed || this.stopped) break;
      }
    }
    return { published, leftPending };
  }

  private async loop(): Promise<void> {
    const { logger, wakeup, pollIntervalMs, idlePollMaxMs, rowPublisher } = this.options;
    let emptyPasses = 0;
    let due: DueSchemas = 'all';
    while (!this.stopped) {
      let complete = false;
      try {
        if (rowPublisher.ready) {
          const { published, leftPending } = await this.drainOnce(due);
          emptyPasses = published > 0 ? 0 : emptyPasses + 1;
          complete = !leftPending;
        }
      } catch (error) {
        logger.warn({ err: error }, 'relay pass failed; trying again');
      }
      if (!complete) emptyPasses = 0;
      if (this.stopped) break;
      const next = await wakeup.wait(idlePollDelay(pollIntervalMs, idlePollMaxMs, emptyPasses));
      // A pass that did not finish (the broker away, a failure, rows not confirmed) may have left
      // rows in any schema: the next looks at every one, after the poll interval.
      due = complete ? next : 'all';
    }
  }

  private relayBatch(schema: SchemaName, minAgeMs: number): Promise<{ claimed: number; published: number }> {
    return relayOutboxBatch(
      this.options.pool,
      schema,
      this.options.batchSize,
      async (rows) => (await this.options.rowPublisher.publish(schema, rows)).map((row) => row.id),
      minAgeMs,
    );
  }
}
