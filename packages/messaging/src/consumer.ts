import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
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
  appendToOutbox,
  recordInInbox,
  withTransaction,
  type Pool,
  type PoolClient,
  type SchemaName,
} from '@surety/db';
import { failpoint } from '@surety/failpoints';
import { traceExemplar, type Logger } from '@surety/telemetry';
import type { Attachment, Broker } from './broker.js';
import type { ConfirmPublisher, OutgoingMessage } from './publisher.js';
import { decideRetry, defaultRetryPolicy, retryQueueName, type RetryPolicy } from './retry-policy.js';
import { deadLetterQueueName, type QueueSpec } from './topology.js';

/** What a handler may use: the transaction its effect commits in, and a way to emit events in it. */
export interface HandlerContext {
  tx: PoolClient;
  emit<T extends EventType>(event: Omit<NewEvent<T>, 'causedBy' | 'orderId'> & { orderId?: string }): Promise<void>;
  /** afterCommit runs once the effect has committed (to record a metric of what surely happened). */
  afterCommit(effect: () => void): void;
  log: Logger;
}

export type Handler = (event: AnyEvent, context: HandlerContext) => Promise<void>;

export interface ConsumerOptions {
  broker: Broker;
  /** Publishes retry copies and dead letters, with confirms. */
  publisher: ConfirmPublisher;
  pool: Pool;
  /** The schema holding this consumer's inbox and outbox. */
  schema: SchemaName;
  /** The inbox key: one effect per consumer and message. */
  consumerName: string;
  queue: QueueSpec;
  handler: Handler;
  logger: Logger;
  registry: Registry;
  prefetch?: number;
  retry?: RetryPolicy;
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
  };
}

/**
 * Consumer runs one handler over one queue: it decodes and validates each message, runs the handler
 * in a transaction together with the inbox row that dedupes it, and acks only after commit. A
 * failure that may pass is retried through the delay tiers; past the budget, or for an error that
 * cannot pass, the message goes to the queue's DLQ with the reason in its headers, then is acked.
 */
export class Consumer implements Attachment {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retry: RetryPolicy;
  private readonly metrics: ReturnType<typeof metricsFor>;
  private stopping = false;

  private constructor(private readonly options: ConsumerOptions) {
    this.retry = options.retry ?? defaultRetryPolicy;
    this.metrics = metricsFor(options.registry);
  }

  static async start(options: ConsumerOptions): Promise<Consumer> {
    const consumer = new Consumer(options);
    await options.broker.attach(consumer);
    return consumer;
  }

  get consuming(): boolean {
    return this.consumerTag !== undefined;
  }

  async attach(model: ChannelModel): Promise<void> {
    if (this.stopping) return;
    const { queue, prefetch = 10 } = this.options;
    const channel = await model.createChannel();
    channel.on('error', (error: Error) => this.options.logger.warn({ err: error }, 'consumer channel error'));
    channel.on('close', () => {
      if (this.channel === channel) this.detach();
    });
    for (const delayMs of new Set(this.retry.delaysMs)) {
      await channel.assertQueue(retryQueueName(queue.name, delayMs), {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          'x-message-ttl': delayMs,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': queue.name,
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        },
      });
    }
    await channel.prefetch(prefetch);
    this.channel = channel;
    const reply = await channel.consume(queue.name, (message) => {
      if (message === null) {
        // The server cancelled us (queue deleted, node lost): a new channel resubscribes.
        this.options.logger.warn({ queue: queue.name }, 'consumer cancelled by the broker');
        void channel.close().catch(() => undefined);
        return;
      }
      this.track(this.process(channel, message));
    });
    this.consumerTag = reply.consumerTag;
  }

  detach(): void {
    this.channel = undefined;
    this.consumerTag = undefined;
  }

  /**
   * stop cancels the subscription, lets in-flight handlers finish within `graceMs`, then closes
   * the channel. A handler cut off by the bound is not acked: it will be redelivered and deduped.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const { channel, consumerTag } = this;
    if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
    const drained = Promise.allSettled([...this.inFlight]);
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    this.options.broker.detach(this);
    await channel?.close().catch(() => undefined);
  }

  /**
   * track keeps a delivery's work in the in-flight set. Work that fails outright (the broker left
   * while a retry copy was being published) leaves the message unacked: it is redelivered.
   */
  private track(work: Promise<void>): void {
    const settled = work.catch((error: unknown) =>
      this.options.logger.warn({ err: error }, 'message left unacked; it will be redelivered'),
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  private async process(channel: Channel, message: ConsumeMessage): Promise<void> {
    const { queue, logger } = this.options;
    const stopTimer = this.metrics.duration.startTimer({ queue: queue.name }, traceExemplar());
    const messageId = message.properties.messageId as string | undefined;
    // The logger adds traceId and spanId: this runs inside the consume span of the message's trace.
    let log = logger.child({ queue: queue.name, messageId });
    let outcome: Outcome;
    try {
      const event = this.decode(message);
      log = log.child({ orderId: event.orderId, eventType: event.type, correlationId: event.correlationId });
      outcome = await this.runHandler(event, message, log);
    } catch (error) {
      outcome = await this.fail(message, error, log);
    }
    // The channel that delivered the message is the only one that may ack it.
    if (this.channel !== channel) {
      log.warn({ outcome }, 'channel lost before ack: the message will be redelivered');
      return;
    }
    await failpoint('consumer.before-ack');
    // amqplib throws if the channel closed while the handler ran; the broker redelivers then.
    channel.ack(message);
    stopTimer();
    this.metrics.consumed.inc({ queue: queue.name, outcome });
    const level = outcome === 'acked' || outcome === 'duplicate' ? 'info' : 'warn';
    log[level]({ outcome }, 'message handled');
  }

  private decode(message: ConsumeMessage): AnyEvent {
    const event = decodeEvent(message.content);
    if (message.properties.messageId !== event.id) {
      throw new ContractViolationError('AMQP messageId does not match the envelope id');
    }
    return event;
  }

  private async runHandler(event: AnyEvent, message: ConsumeMessage, log: Logger): Promise<Outcome> {
    const { pool, schema, consumerName, handler } = this.options;
    const headers = pickHeaders(message);
    const committed: (() => void)[] = [];
    const outcome = await withTransaction(pool, async (tx): Promise<Outcome> => {
      if (!(await recordInInbox(tx, schema, consumerName, event.id))) return 'duplicate';
      await handler(event, {
        tx,
        log,
        afterCommit: (effect) => committed.push(effect),
        emit: (next) =>
          appendToOutbox(
            tx,
            schema,
            createEvent({ ...next, orderId: next.orderId ?? event.orderId, causedBy: event }),
            headers,
          ),
      });
      return 'acked';
    });
    for (const effect of committed) effect();
    return outcome;
  }

  private async fail(message: ConsumeMessage, error: unknown, log: Logger): Promise<Outcome> {
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
    log.debug({ err: error, attempt, target }, 'handler failed');
    await this.options.publisher.publishOrThrow([copyOf(message, target, failure)]);
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
