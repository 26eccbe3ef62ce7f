import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
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
 * brokerUrls reads a broker address: one AMQP URL, or one per node of a cluster separated by
 * commas (`amqp://u:p@node1:5672,amqp://u:p@node2:5672`).
 */
export function brokerUrls(urls: string): string[] {
  const list = urls
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean);
  if (list.length === 0) throw new Error('no AMQP URL given');
  return list;
}

/** vhostOf reads the vhost a broker address names (the first URL's: every node's is the same); no path means `/`. */
export function vhostOf(urls: string): string {
  return decodeURIComponent(new URL(brokerUrls(urls)[0]!).pathname.slice(1)) || '/';
}

/** nodeOf names a URL's node without its credentials, for logs. */
function nodeOf(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port || 5672}`;
}

/** The wait before the n-th retry: doubling from 200 ms to at most 5 s, with ±30 % jitter. */
function retryDelayMs(attempt: number): number {
  return Math.min(5_000, 200 * 2 ** (attempt - 1)) * (0.7 + Math.random() * 0.6);
}

/**
 * Broker is the one AMQP connection of a process, to whichever node of the broker answers: each
 * attempt after a failure, and the first after a lost connection, tries the next node's URL. It
 * reconnects with capped exponential backoff and jitter, declares the topology on every connect,
 * then re-attaches publishers and consumers. (amqplib's own recovery reconnects to one URL only.)
 */
export class Broker {
  private current: ChannelModel | undefined;
  private readonly attachments = new Set<Attachment>();
  private closed = false;
  /** A loop of attempts is running: a connection lost meanwhile is its business, not a second loop's. */
  private reconnecting = false;
  /** The URL the next attempt uses, modulo their number. */
  private next = 0;
  /** `<service> <pid>`: the service that made the logger, and this process. */
  private readonly connectionName: string;

  private constructor(
    private readonly urls: readonly string[],
    private readonly logger: Logger,
  ) {
    const { service } = logger.bindings() as { service?: unknown };
    this.connectionName = `${typeof service === 'string' ? service : 'surety'} ${process.pid}`;
  }

  /**
   * Broker.connect resolves once the first connection is up and the topology declared, after at
   * most `initialMaxRetries` retries (every node is tried at least once); from then on it reconnects
   * for as long as it lives.
   */
  static async connect(urls: string, logger: Logger, options: { initialMaxRetries?: number } = {}): Promise<Broker> {
    const list = brokerUrls(urls);
    const broker = new Broker(list, logger);
    await broker.connectWithRetries(Math.max((options.initialMaxRetries ?? 10) + 1, list.length));
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
    this.closed = true;
    for (const attachment of this.attachments) attachment.detach();
    this.attachments.clear();
    const model = this.current;
    this.current = undefined;
    await model?.close().catch(() => undefined);
  }

  private async connectWithRetries(maxAttempts: number): Promise<void> {
    this.reconnecting = true;
    try {
      for (let attempt = 1; !this.closed; attempt++) {
        const url = this.urls[this.next % this.urls.length]!;
        try {
          await this.open(url);
          return;
        } catch (error) {
          this.next += 1;
          if (attempt >= maxAttempts) throw error;
          const delay = Math.round(retryDelayMs(attempt));
          this.logger.warn(
            { err: error, attempt, delay, node: nodeOf(url), next: nodeOf(this.urls[this.next % this.urls.length]!) },
            'reconnecting to rabbitmq',
          );
          await sleep(delay);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private async open(url: string): Promise<void> {
    // A node cut off by a partition never answers: give up on it and try the next.
    const model = await connect(url, {
      timeout: 5_000,
      // Named in the management UI and API: which service, which process.
      clientProperties: { connection_name: this.connectionName },
    });
    if (this.closed) {
      await model.close().catch(() => undefined);
      return;
    }
    model.on('error', (error: Error) => this.logger.warn({ err: error }, 'rabbitmq connection error'));
    model.once('close', (error?: Error) => {
      if (this.current !== model) return;
      this.onDisconnected(error);
      // The node that dropped us may be the one going away: the first attempt goes to the next.
      this.next += 1;
      // Lost while an attempt was still attaching, the attempt fails and its loop tries again.
      if (!this.closed && !this.reconnecting) void this.connectWithRetries(Number.POSITIVE_INFINITY);
    });
    try {
      await this.onConnected(model, url);
    } catch (error) {
      this.current = undefined;
      for (const attachment of this.attachments) attachment.detach();
      await model.close().catch(() => undefined);
      throw error;
    }
  }

  private async onConnected(model: ChannelModel, url: string): Promise<void> {
    if (!coalesceFrameWrites(model)) this.logger.warn('amqplib changed shape: each frame is written on its own');
    const channel = await model.createChannel();
    // A refused declaration (a vhost going away) rejects below; unheard, its 'error' would crash the process.
    channel.on('error', () => undefined);
    await declareTopology(channel);
    await channel.close();
    this.current = model;
    this.logger.info({ node: nodeOf(url) }, 'connected to rabbitmq');
    for (const attachment of this.attachments) await attachment.attach(model);
  }

  private onDisconnected(error: Error | undefined): void {
    this.current = undefined;
    this.logger.warn({ err: error }, 'lost rabbitmq connection');
    for (const attachment of this.attachments) attachment.detach();
  }
}

/**
 * connectAny opens a plain connection to the first node of a broker address that answers. A lost
 * connection fails what its caller awaits on it; its 'error' event is heard, since amqplib emits
 * one when the node goes away (a reset during a rolling restart), and unheard it would end the process.
 */
export async function connectAny(urls: string): Promise<ChannelModel> {
  let failure: unknown;
  for (const url of brokerUrls(urls)) {
    try {
      const model = await connect(url, { timeout: 5_000 });
      model.on('error', () => undefined);
      return model;
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}
