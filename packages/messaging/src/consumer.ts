import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { context, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { Counter, Histogram, type Registry } from 'prom-client';
import {
  ContractViolationError,
  createEvent,
  decodeEvent,
  errorCode,
  isRetryable,
  type AnyEvent,
  type EventType,
  type NewEvent,
} from '@surety/contracts';
import {
  appendManyToOutbox,
  notifyAfterCommit,
  outboxEntry,
  recordManyInInbox,
  transactionQueries,
  withTransaction,
  type OutboxEntry,
  type Pool,
  type PoolClient,
  type SchemaName,
  type TransactionQueries,
} from '@surety/db';
import { failpoint } from '@surety/failpoints';
import { contextFromHeaders, traceExemplar, type Logger } from '@surety/telemetry';
import type { Attachment, Broker } from './broker.js';
import { OutboxDispatcher, type OutboxDispatch } from './outbox-dispatcher.js';
import type { ConfirmPublisher, OutgoingMessage } from './publisher.js';
import { decideRetry, defaultRetryPolicy, retryQueueName, type RetryPolicy } from './retry-policy.js';
import { deadLetterQueueName, declareRetryQueues, type QueueSpec } from './topology.js';

/**
 * What a handler may use: the transaction its effect commits in, what `beforeBatch` prepared for
 * the batch, and a way to emit events in it.
 */
export interface HandlerContext<Batch = undefined> {
  /**
   * The batch's transaction; handlers of one batch share it. A write whose result the handler does
   * not need is `send`: it travels with the COMMIT instead of costing a round trip.
   */
  tx: TransactionQueries;
  /**
   * What the consumer's `beforeBatch` returned for this batch (rows it locked, say), shared by the
   * batch's handlers; a handler that changes what it describes keeps it up to date.
   */
  batch: Batch;
  emit<T extends EventType>(event: Omit<NewEvent<T>, 'causedBy' | 'orderId'> & { orderId?: string }): Promise<void>;
  /** afterCommit runs once the effect has committed (to record a metric of what surely happened). */
  afterCommit(effect: () => void): void;
  /** notifyAfterCommit sends a NOTIFY once the batch has committed, never if it rolls back. */
  notifyAfterCommit(channel: string, payload: string): void;
  log: Logger;
}

export type Handler<Batch = undefined> = (event: AnyEvent, context: HandlerContext<Batch>) => Promise<void>;

/**
 * BeforeBatch runs first in each batch's transaction, with the batch's decoded events in delivery
 * order, sent together with the inbox claim (so it also sees duplicates, whose rows exist already):
 * where handlers lock shared rows it takes those locks in one statement and one fixed order, so
 * concurrent batches cannot deadlock, and returns what the handlers need of them. Statements it
 * does not wait for between travel together.
 */
export type BeforeBatch<Batch> = (events: readonly AnyEvent[], tx: TransactionQueries) => Promise<Batch>;

/**
 * AfterBatch runs last in each batch's transaction, once every handler has run, with what
 * beforeBatch prepared as the handlers left it: handlers that record their changes there instead
 * of writing them have it send one statement for the batch (an order two results changed is
 * written once, and a row per order costs no statement of its own).
 */
export type AfterBatch<Batch> = (batch: Batch, tx: TransactionQueries) => void;

/**
 * How a consumer runs the handlers of one batch, all inside the batch's one transaction. Messages
 * about the same order always run one after another, in delivery order. `sequential` runs the
 * whole batch one message at a time in order-id order; `orders-in-parallel` runs different orders
 * side by side, for handlers that wait on something outside the database (the payment gateway)
 * and never use savepoints, whose names the transaction shares.
 */
export type BatchConcurrency = 'sequential' | 'orders-in-parallel';

export interface ConsumerOptions<Batch = undefined> {
  broker: Broker;
  /** Publishes retry copies and dead letters, with confirms. */
  publisher: ConfirmPublisher;
  pool: Pool;
  /** The schema holding this consumer's inbox and outbox. */
  schema: SchemaName;
  /** The inbox key: one effect per consumer and message. */
  consumerName: string;
  queue: QueueSpec;
  handler: Handler<Batch>;
  /** Without it, handlers see `batch` undefined. */
  beforeBatch?: BeforeBatch<Batch>;
  afterBatch?: AfterBatch<Batch>;
  concurrency?: BatchConcurrency;
  logger: Logger;
  registry: Registry;
  /** Unacknowledged deliveries the broker may send; a batch takes at most this many. */
  prefetch?: number;
  retry?: RetryPolicy;
  /** Who publishes the events handlers emit: this consumer once its batch commits (the default), or the relay. */
  dispatch?: OutboxDispatch;
}

export type Outcome = 'acked' | 'duplicate' | 'retried' | 'dead-lettered';

/** Headers the pipeline reads and writes on a message that failed. */
export const failureHeaders = {
  attempts: 'x-attempts',
  error: 'x-error',
  errorClass: 'x-error-class',
  firstFailedAt: 'x-first-failed-at',
  consumer: 'x-consumer',
  originalQueue: 'x-original-queue',
} as const;

// Headers copied from an incoming message onto the events its handler emits.
const propagatedHeaders = ['traceparent', 'tracestate'] as const;

function metricsFor(registry: Registry) {
  const existing = registry.getSingleMetric('surety_messages_consumed_total');
  if (existing) {
    return {
      consumed: existing as Counter<'queue' | 'outcome'>,
      duration: registry.getSingleMetric('surety_handler_duration_seconds') as Histogram<'queue'>,
      batchSize: registry.getSingleMetric('surety_consumer_batch_size') as Histogram<'queue'>,
    };
  }
  return {
    consumed: new Counter({
      name: 'surety_messages_consumed_total',
      help: 'Messages consumed, by queue and outcome.',
      labelNames: ['queue', 'outcome'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'surety_handler_duration_seconds',
      help: 'Time from delivery to ack, by queue.',
      labelNames: ['queue'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      enableExemplars: true,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'surety_consumer_batch_size',
      help: 'Deliveries taken together into one transaction and one acknowledgement, by queue.',
      labelNames: ['queue'],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
  };
}

/** One delivery on its way through a batch. */
interface Delivery {
  message: ConsumeMessage;
  /** The channel that delivered it, the only one that may ack it. */
  channel: Channel;
  /** The trace context the delivery arrived in (the consume span): its handler runs inside it. */
  trace: Context;
  stopTimer: (labels?: Partial<Record<string, string | number>>) => number;
  /** What its log lines say about it; the child logger is made only when a line is written. */
  fields: Record<string, unknown>;
  log?: Logger;
  event?: AnyEvent;
  outcome?: Outcome;
}

/** A batch's transaction: its connection, the statements its handlers share in turn, and what beforeBatch prepared. */
interface BatchTransaction<Batch> {
  tx: PoolClient;
  queries: TransactionQueries;
  prepared: Batch;
}

/** A delivery that decoded: it can take part in a batch's transaction. */
type Decoded = Delivery & { event: AnyEvent };

/**
 * deliveryTrace is the trace a delivery's work and log lines run in: the span the AMQP
 * instrumentation opened for it, when spans are exported and it runs (that span continues the
 * trace the headers carry, or starts one when they carry none); else the trace the headers carry,
 * so that without spans the work still names its order's trace.
 */
function deliveryTrace(message: ConsumeMessage): Context {
  const carried = contextFromHeaders(message.properties.headers ?? {});
  const active = context.active();
  const carriedTrace = trace.getSpanContext(carried)?.traceId;
  const activeTrace = trace.getSpanContext(active)?.traceId;
  const instrumented = activeTrace !== undefined && (carriedTrace === undefined || carriedTrace === activeTrace);
  return instrumented ? active : carried;
}

/**
 * Consumer runs one handler over one queue, a batch at a time: it takes the deliveries that have
 * arrived (at most the prefetch), dead-letters those that do not decode, and runs the rest in one
 * transaction with the inbox rows that dedupe them and the events they emit; once it commits, one
 * `multiple` ack covers the batch. If the transaction fails, the batch is split in halves and each
 * half tried on its own, down to single messages, which are retried through the delay tiers or,
 * past the budget or for an error that cannot pass, sent to the queue's DLQ with the reason in
 * their headers. Batches run one at a time, so the ack of one never covers another's deliveries.
 */
export class Consumer<Batch = undefined> implements Attachment {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private waiting: Delivery[] = [];
  private running: Promise<void> | undefined;
  private readonly retry: RetryPolicy;
  private readonly metrics: ReturnType<typeof metricsFor>;
  private readonly dispatcher: OutboxDispatcher | undefined;
  private stopping = false;

  private constructor(private readonly options: ConsumerOptions<Batch>) {
    this.retry = options.retry ?? defaultRetryPolicy;
    this.metrics = metricsFor(options.registry);
    if ((options.dispatch ?? 'writer') === 'writer') {
      const { publisher, pool, schema, logger, registry } = options;
      this.dispatcher = new OutboxDispatcher({ publisher: () => publisher, pool, schema, logger, registry });
    }
  }

  static async start<Batch = undefined>(options: ConsumerOptions<Batch>): Promise<Consumer<Batch>> {
    const consumer = new Consumer<Batch>(options);
    await options.broker.attach(consumer);
    return consumer;
  }

  get consuming(): boolean {
    return this.consumerTag !== undefined;
  }

  private get prefetch(): number {
    return this.options.prefetch ?? 10;
  }

  async attach(model: ChannelModel): Promise<void> {
    if (this.stopping) return;
    const { queue } = this.options;
    const channel = await model.createChannel();
    channel.on('error', (error: Error) => this.options.logger.warn({ err: error }, 'consumer channel error'));
    channel.on('close', () => {
      if (this.channel === channel) this.detach();
    });
    await declareRetryQueues(channel, queue.name, this.retry.delaysMs);
    await channel.prefetch(this.prefetch);
    this.channel = channel;
    const reply = await channel.consume(queue.name, (message) => {
      if (message === null) {
        // The server cancelled us (queue deleted, node lost): a new channel resubscribes.
        this.options.logger.warn({ queue: queue.name }, 'consumer cancelled by the broker');
        void channel.close().catch(() => undefined);
        return;
      }
      this.receive(channel, message);
    });
    this.consumerTag = reply.consumerTag;
  }

  detach(): void {
    this.channel = undefined;
    this.consumerTag = undefined;
    // Deliveries of a lost channel can no longer be acked; the broker redelivers them.
    this.waiting = [];
  }

  /**
   * stop cancels the subscription, lets the batch in flight finish within `graceMs`, then closes
   * the channel. Deliveries not yet started, and a batch cut off by the bound, are not acked: they
   * are redelivered and deduped.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const { channel, consumerTag } = this;
    if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
    await Promise.race([
      Promise.resolve(this.running).then(() => this.dispatcher?.settle()),
      new Promise((resolve) => setTimeout(resolve, graceMs).unref()),
    ]);
    this.options.broker.detach(this);
    await channel?.close().catch(() => undefined);
  }

  private receive(channel: Channel, message: ConsumeMessage): void {
    const { queue } = this.options;
    const messageId = message.properties.messageId as string | undefined;
    this.waiting.push({
      message,
      channel,
      trace: deliveryTrace(message),
      stopTimer: this.metrics.duration.startTimer({ queue: queue.name }, traceExemplar()),
      fields: { queue: queue.name, messageId },
    });
    // Deliveries read from the socket together arrive in one turn of the event loop: wait for the
    // turn to end, so that they form one batch. The batch is nobody's trace: each delivery's work
    // and log lines run in its own.
    if (!this.running) {
      this.running = context.with(ROOT_CONTEXT, () =>
        new Promise((resolve) => setImmediate(resolve)).then(() => this.drain()),
      );
    }
  }

  /** drain runs batches until no delivery waits; a batch holds deliveries of one channel. */
  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0 && !this.stopping) {
        const channel = this.waiting[0]!.channel;
        const batch: Delivery[] = [];
        // A redelivery may be the message that crashed the last process: it runs alone, so that it
        // takes no batch down with it and the deliveries before it commit.
        while (batch.length < this.prefetch && this.waiting[0]?.channel === channel) {
          if (batch.length > 0 && this.waiting[0].message.fields.redelivered) break;
          batch.push(this.waiting.shift()!);
          if (batch[0]!.message.fields.redelivered) break;
        }
        await this.processBatch(channel, batch).catch((error: unknown) => this.giveBack(channel, batch, error));
      }
    } finally {
      this.running = undefined;
    }
  }

  /**
   * giveBack returns a batch whose handling failed outright (the broker left while a retry copy was
   * being published) to the queue, after a pause: it is redelivered and deduped. Each delivery is
   * settled on its own, so that the next batch's `multiple` ack cannot cover it.
   */
  private async giveBack(channel: Channel, batch: Delivery[], error: unknown): Promise<void> {
    this.options.logger.warn({ err: error, size: batch.length }, 'batch left unacked; it will be redelivered');
    await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    for (const delivery of batch) {
      try {
        channel.nack(delivery.message, false, true);
      } catch {
        // A closed channel has already returned its deliveries to the queue.
      }
    }
  }

  private async processBatch(channel: Channel, batch: Delivery[]): Promise<void> {
    this.metrics.batchSize.observe({ queue: this.options.queue.name }, batch.length);
    const decoded: Decoded[] = [];
    for (const delivery of batch) {
      try {
        delivery.event = this.decode(delivery.message);
        const { event } = delivery;
        Object.assign(delivery.fields, {
          orderId: event.orderId,
          eventType: event.type,
          correlationId: event.correlationId,
        });
        decoded.push(delivery as Decoded);
      } catch (error) {
        delivery.outcome = await this.fail(delivery, error);
      }
    }
    await this.settle(decoded);
    // The channel that delivered the batch is the only one that may ack it.
    if (this.channel !== channel) {
      for (const delivery of batch) {
        this.logAbout(
          delivery,
          'warn',
          { outcome: delivery.outcome },
          'channel lost before ack: the message will be redelivered',
        );
      }
      return;
    }
    await failpoint('consumer.before-ack');
    // One ack for the batch: every earlier delivery of this channel is settled, since batches run
    // one at a time in delivery order. amqplib throws if the channel closed meanwhile; the broker
    // redelivers then.
    channel.ack(batch[batch.length - 1]!.message, true);
    for (const delivery of batch) this.record(delivery);
  }

  /**
   * settle gives every delivery of `part` an outcome: committed in one transaction, or split in
   * halves when it fails, down to single messages that take the failure path.
   */
  private async settle(part: Decoded[]): Promise<void> {
    if (part.length === 0) return;
    try {
      await this.commit(part);
    } catch (error) {
      if (part.length === 1) {
        part[0]!.outcome = await this.fail(part[0]!, error);
        return;
      }
      this.options.logger.debug(
        { err: error, queue: this.options.queue.name, size: part.length },
        'batch failed; splitting it',
      );
      const half = Math.ceil(part.length / 2);
      await this.settle(part.slice(0, half));
      await this.settle(part.slice(half));
    }
  }

  /**
   * commit runs a part of a batch in one transaction: inbox rows, effects, emitted events. The
   * inbox claim and beforeBatch's statements go out together with BEGIN, and afterBatch's and the
   * emitted events with the COMMIT: a batch whose handlers only send their writes costs two round
   * trips.
   */
  private async commit(part: Decoded[]): Promise<void> {
    const { pool, schema, consumerName, beforeBatch, afterBatch } = this.options;
    const committed: (() => void)[] = [];
    const emitted: OutboxEntry[] = [];
    const outcomes = await withTransaction(pool, async (tx) => {
      const queries = transactionQueries(tx);
      const events = part.map((d) => d.event);
      // Both settle before anything is decided: nothing may still be sending on the connection once
      // a failure has it rolled back and released.
      const [claimed, preparing] = await Promise.allSettled([
        recordManyInInbox(
          tx,
          schema,
          consumerName,
          events.map((event) => event.id),
        ),
        beforeBatch ? beforeBatch(events, queries) : (undefined as Batch),
      ]);
      if (claimed.status === 'rejected') throw claimed.reason;
      if (preparing.status === 'rejected') throw preparing.reason;
      const fresh = claimed.value;
      const prepared = preparing.value;
      const outcomes = new Map<Decoded, Outcome>();
      const toHandle: Decoded[] = [];
      for (const delivery of part) {
        // A second copy of a message inside the batch is a duplicate like any other.
        const first = fresh.delete(delivery.event.id);
        outcomes.set(delivery, first ? 'acked' : 'duplicate');
        if (first) toHandle.push(delivery);
      }
      await this.runHandlers(toHandle, { tx, queries, prepared }, emitted, committed);
      afterBatch?.(prepared, queries);
      appendManyToOutbox(tx, schema, emitted, { wakeRelay: !this.dispatcher });
      return outcomes;
    });
    this.dispatcher?.dispatch(emitted);
    for (const [delivery, outcome] of outcomes) delivery.outcome = outcome;
    for (const effect of committed) effect();
  }

  private async runHandlers(
    deliveries: Decoded[],
    tx: BatchTransaction<Batch>,
    emitted: OutboxEntry[],
    committed: (() => void)[],
  ): Promise<void> {
    const byOrder = new Map<string, Decoded[]>();
    for (const delivery of deliveries) {
      const group = byOrder.get(delivery.event.orderId) ?? [];
      group.push(delivery);
      byOrder.set(delivery.event.orderId, group);
    }
    // Order-id order: concurrent batches lock each order's rows in the same order.
    const groups = [...byOrder.keys()].sort().map((orderId) => byOrder.get(orderId)!);
    const runGroup = async (group: Decoded[]) => {
      for (const delivery of group) await this.runHandler(delivery, tx, emitted, committed);
    };
    if (this.options.concurrency === 'orders-in-parallel') {
      const results = await Promise.allSettled(groups.map(runGroup));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    } else {
      for (const group of groups) await runGroup(group);
    }
  }

  private runHandler(
    delivery: Decoded,
    tx: BatchTransaction<Batch>,
    emitted: OutboxEntry[],
    committed: (() => void)[],
  ): Promise<void> {
    const { event, message } = delivery;
    const headers = pickHeaders(message);
    const logOf = () => this.logOf(delivery);
    return context.with(delivery.trace, () =>
      this.options.handler(event, {
        tx: tx.queries,
        batch: tx.prepared,
        get log() {
          return logOf();
        },
        notifyAfterCommit: (channel, payload) => notifyAfterCommit(tx.tx, channel, payload),
        // An effect recorded after commit (a metric with its exemplar) belongs to this message's trace.
        afterCommit: (effect) => committed.push(() => context.with(delivery.trace, effect)),
        emit: async (next) => {
          emitted.push(
            outboxEntry(createEvent({ ...next, orderId: next.orderId ?? event.orderId, causedBy: event }), headers),
          );
        },
      }),
    );
  }

  private record(delivery: Delivery): void {
    const outcome = delivery.outcome ?? 'acked';
    delivery.stopTimer();
    this.metrics.consumed.inc({ queue: this.options.queue.name, outcome });
    this.logAbout(
      delivery,
      outcome === 'acked' || outcome === 'duplicate' ? 'debug' : 'warn',
      { outcome },
      'message handled',
    );
  }

  /** logOf is a delivery's logger, made on first use. */
  private logOf(delivery: Delivery): Logger {
    delivery.log ??= this.options.logger.child(delivery.fields);
    return delivery.log;
  }

  /**
   * logAbout writes a line about a delivery inside its trace, so that the line carries its traceId
   * and spanId; a level that is off costs nothing.
   */
  private logAbout(delivery: Delivery, level: 'debug' | 'warn', fields: object, message: string): void {
    if (!this.options.logger.isLevelEnabled(level)) return;
    context.with(delivery.trace, () => this.logOf(delivery)[level](fields, message));
  }

  private decode(message: ConsumeMessage): AnyEvent {
    const event = decodeEvent(message.content);
    if (message.properties.messageId !== event.id) {
      throw new ContractViolationError('AMQP messageId does not match the envelope id');
    }
    return event;
  }

  private async fail(delivery: Delivery, error: unknown): Promise<Outcome> {
    const { message } = delivery;
    const headers = message.properties.headers ?? {};
    const attempt = Number(headers[failureHeaders.attempts] ?? 0) + 1;
    const decision = decideRetry(this.retry, attempt, isRetryable(error));
    const failure = {
      ...headers,
      [failureHeaders.attempts]: attempt,
      [failureHeaders.error]: describeError(error),
      [failureHeaders.errorClass]: errorCode(error),
      [failureHeaders.firstFailedAt]: (headers[failureHeaders.firstFailedAt] as unknown) ?? new Date().toISOString(),
      [failureHeaders.consumer]: this.options.consumerName,
      [failureHeaders.originalQueue]: this.options.queue.name,
    };
    const target =
      decision.action === 'retry'
        ? retryQueueName(this.options.queue.name, decision.delayMs)
        : deadLetterQueueName(this.options.queue.name);
    this.logAbout(delivery, 'debug', { err: error, attempt, target }, 'handler failed');
    await context.with(delivery.trace, () => this.options.publisher.publishOrThrow([copyOf(message, target, failure)]));
    return decision.action === 'retry' ? 'retried' : 'dead-lettered';
  }
}

function copyOf(message: ConsumeMessage, queue: string, headers: Record<string, unknown>): OutgoingMessage {
  return {
    exchange: '',
    routingKey: queue,
    messageId: String(message.properties.messageId ?? `unidentified-${message.fields.deliveryTag}`),
    type: String(message.properties.type ?? message.fields.routingKey),
    body: message.content,
    headers: { ...headers, 'x-routing-key': message.fields.routingKey },
  };
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

function pickHeaders(message: ConsumeMessage): Record<string, string> {
  const source = message.properties.headers ?? {};
  const picked: Record<string, string> = {};
  for (const name of propagatedHeaders) {
    const value: unknown = source[name];
    if (typeof value === 'string') picked[name] = value;
  }
  return picked;
}
