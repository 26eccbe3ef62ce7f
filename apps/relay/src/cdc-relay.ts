import { setTimeout as sleep } from 'node:timers/promises';
import { currentHostOf, markPublished, type Pool, type SchemaName } from '@surety/db';
import {
  OutboxChangeStream,
  prepareOutboxSlot,
  type OutboxTransaction,
  type StreamedOutboxRow,
} from '@surety/db/outbox-changes';
import type { Logger } from '@surety/telemetry';
import { Histogram, type Registry } from 'prom-client';
import type { PollingRelay } from './relay.js';
import type { RowPublisher } from './row-publisher.js';

export interface CdcRelayOptions {
  pool: Pool;
  databaseUrl: string;
  rowPublisher: RowPublisher;
  /** The table sweep beside the stream: it publishes what a new slot will never stream. */
  sweep: PollingRelay;
  slot: string;
  schemas: readonly SchemaName[];
  /** The most rows published in one batch. */
  batchSize: number;
  /** The most rows read ahead of the broker's confirms; beyond it the WAL waits on the server. */
  maxBufferedRows: number;
  /** The wait before reading again after a failure, and between attempts to publish a batch. */
  retryDelayMs: number;
  logger: Logger;
  registry: Registry;
}

/**
 * CdcRelay ships outbox rows as Postgres decodes them from the WAL (change data capture): no
 * polling and no claims, the commit order kept. It publishes each batch of committed
 * transactions with confirms, marks the rows published, and only once the broker has confirmed
 * every row confirms the batch's last commit to the slot. A crash anywhere leaves the slot at the last batch the broker holds, and the
 * next reader is sent everything after it again; the consumers' inboxes absorb the repeats.
 */
export class CdcRelay {
  private running: Promise<void> | undefined;
  private stopped = false;
  private stream: OutboxChangeStream | undefined;
  private readonly resting = new AbortController();
  private readonly readDelay: Histogram;

  constructor(private readonly options: CdcRelayOptions) {
    this.readDelay = new Histogram({
      name: 'surety_relay_cdc_read_delay_seconds',
      help: 'From a transaction’s commit to the CDC relay reading it from the slot.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [options.registry],
    });
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resting.abort();
    await this.stream?.stop();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { pool, slot, sweep, logger, retryDelayMs } = this.options;
    while (!this.stopped) {
      try {
        const state = await prepareOutboxSlot(pool, slot);
        if (state !== 'existing') {
          // A new slot streams only what commits from now on: what the outbox holds unpublished
          // (all of it the first time, what the lost slot had not confirmed after an invalidation)
          // goes through the table instead.
          logger.warn({ slot, state }, 'replication slot created; publishing the outbox backlog from the table');
          const published = await sweep.publishBacklog();
          logger.info({ slot, published }, 'outbox backlog published');
        }
        await this.streamOnce();
      } catch (error) {
        if (!this.stopped) logger.warn({ err: error, slot }, 'CDC stream ended; reading again from the slot');
      }
      if (!this.stopped) await this.rest(retryDelayMs);
    }
  }

  /** streamOnce reads the slot and relays what it reads until the stream or the relaying fails. */
  private async streamOnce(): Promise<void> {
    const { databaseUrl, slot, schemas, logger, maxBufferedRows } = this.options;
    const queue = new TransactionQueue(maxBufferedRows);
    const stream = new OutboxChangeStream({
      // Replication takes one host: the one the pool has just prepared the slot on, the primary.
      databaseUrl: currentHostOf(databaseUrl),
      slot,
      schemas,
      logger,
      onTransaction: (transaction) => {
        this.readDelay.observe(Math.max(0, Date.now() - transaction.committedAt.getTime()) / 1000);
        return queue.push(transaction);
      },
    });
    this.stream = stream;
    if (this.stopped) return;
    logger.info({ slot }, 'reading the outbox from the replication slot');
    const reading = stream.run().finally(() => queue.close());
    const relaying = this.relayFrom(queue, stream).finally(() => stream.stop());
    const [read, relayed] = await Promise.allSettled([reading, relaying]);
    if (relayed.status === 'rejected') throw relayed.reason;
    if (read.status === 'rejected') throw read.reason;
  }

  private async relayFrom(queue: TransactionQueue, stream: OutboxChangeStream): Promise<void> {
    for (;;) {
      const batch = await queue.take(this.options.batchSize);
      // Closed: what is still queued is sent again to the next reader.
      if (batch.length === 0) return;
      await this.relay(
        batch.flatMap((transaction) => transaction.rows),
        () => queue.closed,
        stream,
      );
      const last = batch.at(-1);
      if (last) stream.confirm(last.commitLsn);
    }
  }

  /** relay publishes rows, each schema's marked as confirmed, until the broker has confirmed all. */
  private async relay(rows: StreamedOutboxRow[], abandoned: () => boolean, stream: OutboxChangeStream) {
    const { pool, rowPublisher, logger, retryDelayMs } = this.options;
    let remaining = rows;
    while (remaining.length > 0) {
      if (this.stopped || abandoned()) throw new Error('stopped before the broker confirmed every row read');
      const confirmed = new Set<string>();
      if (rowPublisher.ready) {
        try {
          // Each schema's rows go out at once, on the one confirm channel, and are marked in its own statement.
          await Promise.all(
            [...bySchema(remaining)].map(async ([schema, ofSchema]) => {
              const published = await rowPublisher.publish(schema, ofSchema);
              for (const row of published) confirmed.add(row.id);
              // The broker holds them: the slot may move past them whether or not the mark lands.
              // A row left unmarked is published again by the sweep, and absorbed by the inboxes;
              // waiting for the mark instead would hold a shutting-down server's WAL sender forever.
              await markPublished(pool, schema, published).catch((error: unknown) =>
                logger.warn({ err: error, schema }, 'marking rows published failed; the sweep publishes them again'),
              );
            }),
          );
        } catch (error) {
          logger.warn({ err: error }, 'publishing rows read from the WAL failed; trying again');
        }
      }
      remaining = remaining.filter((row) => !confirmed.has(row.id));
      if (remaining.length > 0) {
        // The server hears from the relay while the broker is away, so it does not end the stream.
        stream.keepAlive();
        await this.rest(retryDelayMs);
      }
    }
  }

  private async rest(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.resting.signal }).catch(() => undefined);
  }
}

function bySchema(rows: readonly StreamedOutboxRow[]): Map<SchemaName, StreamedOutboxRow[]> {
  const groups = new Map<SchemaName, StreamedOutboxRow[]>();
  for (const row of rows) {
    const group = groups.get(row.schema);
    if (group) group.push(row);
    else groups.set(row.schema, [row]);
  }
  return groups;
}

/**
 * TransactionQueue holds the transactions read and not yet relayed, in commit order. Past
 * `maxRows` a push waits, and with it the stream: the WAL stays on the server.
 */
class TransactionQueue {
  private readonly items: OutboxTransaction[] = [];
  private rows = 0;
  private taker: (() => void) | undefined;
  private room: (() => void) | undefined;
  closed = false;

  constructor(private readonly maxRows: number) {}

  async push(transaction: OutboxTransaction): Promise<void> {
    this.items.push(transaction);
    this.rows += transaction.rows.length;
    this.taker?.();
    while (this.rows >= this.maxRows && !this.closed) {
      await new Promise<void>((resolve) => (this.room = resolve));
    }
  }

  /** take waits for transactions and returns those that fit in `maxRows` (one at least), or none once closed. */
  async take(maxRows: number): Promise<OutboxTransaction[]> {
    while (this.items.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => (this.taker = resolve));
    }
    this.taker = undefined;
    if (this.closed) return [];
    const taken: OutboxTransaction[] = [];
    let rows = 0;
    for (const next of this.items) {
      if (taken.length > 0 && rows + next.rows.length > maxRows) break;
      taken.push(next);
      rows += next.rows.length;
    }
    this.items.splice(0, taken.length);
    this.rows -= rows;
    this.wakePusher();
    return taken;
  }

  close(): void {
    this.closed = true;
    this.taker?.();
    this.wakePusher();
  }

  private wakePusher(): void {
    const room = this.room;
    this.room = undefined;
    room?.();
  }
}
