import { connect, type ChannelModel, type ConfirmChannel, type RecoveringChannelModel } from 'amqplib';
import { TransientError } from '@surety/contracts';
import type { Logger } from '@surety/telemetry';
import { coalesceFrameWrites } from './frame-coalescing.js';
import { declareTopology } from './topology.js';

/** Something that must (re)build its channels each time the connection comes up. */
export interface Attachment {
  attach(model: ChannelModel): Promise<void>;
  detach(): void;
}

/**
 * Broker is the one AMQP connection of a process. It reconnects with capped exponential backoff
 * and jitter, declares the topology on every connect, then re-attaches publishers and consumers.
 */
export class Broker {
  private current: ChannelModel | undefined;
  private readonly attachments = new Set<Attachment>();
  private model: RecoveringChannelModel | undefined;

  private constructor(private readonly logger: Logger) {}

  /** Broker.connect resolves once the first connection is up and the topology declared. */
  static async connect(url: string, logger: Logger, options: { initialMaxRetries?: number } = {}): Promise<Broker> {
    const broker = new Broker(logger);
    const model = await connect(url, {
      recovery: {
        initialDelay: 200,
        maxDelay: 5_000,
        factor: 2,
        jitter: 0.3,
        initialMaxRetries: options.initialMaxRetries ?? 10,
        maxRetries: Infinity,
        waitForConnect: false,
        setup: (connected: ChannelModel) => broker.onConnected(connected),
      },
    });
    broker.model = model;
    model.on('disconnect', (error: Error) => broker.onDisconnected(error));
    model.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) =>
      logger.warn({ attempt, delay }, 'reconnecting to rabbitmq'),
    );
    model.on('error', (error: Error) => logger.warn({ err: error }, 'rabbitmq connection error'));
    await model.waitForConnect();
    return broker;
  }

  get connected(): boolean {
    return this.current !== undefined;
  }

  /** attach runs an attachment now if connected, and again after every reconnect. */
  async attach(attachment: Attachment): Promise<void> {
    this.attachments.add(attachment);
    if (this.current) await attachment.attach(this.current);
  }

  /** withConfirmChannel lends a confirm channel of the current connection for one piece of work. */
  async withConfirmChannel<T>(work: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
    if (!this.current) throw new TransientError('not connected to rabbitmq');
    const channel = await this.current.createConfirmChannel();
    channel.on('error', () => undefined);
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  detach(attachment: Attachment): void {
    this.attachments.delete(attachment);
    attachment.detach();
  }

  async close(): Promise<void> {
    for (const attachment of this.attachments) attachment.detach();
    this.attachments.clear();
    this.current = undefined;
    await this.model?.close().catch(() => undefined);
  }

  private async onConnected(model: ChannelModel): Promise<void> {
    if (!coalesceFrameWrites(model)) this.logger.warn('amqplib changed shape: each frame is written on its own');
    const channel = await model.createChannel();
    // A refused declaration (a vhost going away) rejects below; unheard, its 'error' would crash the process.
    channel.on('error', () => undefined);
    await declareTopology(channel);
    await channel.close();
    this.current = model;
    this.logger.info('connected to rabbitmq');
    for (const attachment of this.attachments) await attachment.attach(model);
  }

  private onDisconnected(error: Error): void {
    this.current = undefined;
    this.logger.warn({ err: error }, 'lost rabbitmq connection');
    for (const attachment of this.attachments) attachment.detach();
  }
}
