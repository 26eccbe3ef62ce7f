import { once } from 'node:events';
import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import { context } from '@opentelemetry/api';
import { TransientError } from '@surety/contracts';
import { contextFromHeaders } from '@surety/telemetry';
import type { Attachment, Broker } from './broker.js';
import { EVENTS_EXCHANGE } from './topology.js';

export interface OutgoingMessage {
  /** Becomes the AMQP messageId: the consumers' dedupe key. */
  messageId: string;
  type: string;
  routingKey: string;
  body: Buffer;
  headers: Record<string, unknown>;
  /** Defaults to the events exchange; '' addresses a queue by name. */
  exchange?: string;
}

export type PublishOutcome = { messageId: string; ok: true } | { messageId: string; ok: false; error: Error };

/**
 * ConfirmPublisher publishes persistent, mandatory messages on a confirm channel and reports each
 * message's fate: confirmed, returned as unroutable, nacked, or lost with the channel. While the
 * broker is away it fails fast rather than buffering in memory.
 */
export class ConfirmPublisher implements Attachment {
  private channel: ConfirmChannel | undefined;
  private readonly returned = new Set<string>();

  private constructor(
    private readonly broker: Broker,
    private readonly awaitConfirms: boolean,
  ) {}

  /**
   * create attaches a publisher to the broker. `awaitConfirms: false` reports every message sent
   * as soon as it is written to the socket, as a publisher without confirms would: only the
   * contrast drill asks for it, to show the loss confirms prevent.
   */
  static async create(broker: Broker, { awaitConfirms = true } = {}): Promise<ConfirmPublisher> {
    const publisher = new ConfirmPublisher(broker, awaitConfirms);
    await broker.attach(publisher);
    return publisher;
  }

  get ready(): boolean {
    return this.channel !== undefined;
  }

  async attach(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    channel.on('return', (message: Message) => {
      if (message.properties.messageId) this.returned.add(String(message.properties.messageId));
    });
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    this.channel = channel;
  }

  detach(): void {
    this.channel = undefined;
  }

  /** publish sends a batch and resolves when the broker has answered for every message. */
  async publish(messages: readonly OutgoingMessage[]): Promise<PublishOutcome[]> {
    const channel = this.channel;
    if (!channel) throw new TransientError('not connected to rabbitmq');
    const outcomes: Promise<PublishOutcome>[] = [];
    for (const message of messages) {
      const { accepted, outcome } = this.publishOne(channel, message);
      outcomes.push(outcome);
      // false means the socket buffer is full: wait for it to drain instead of piling up.
      if (!accepted) await Promise.race([once(channel, 'drain'), once(channel, 'close')]);
    }
    return Promise.all(outcomes);
  }

  /** publishOrThrow publishes a batch and fails if any message was not confirmed. */
  async publishOrThrow(messages: readonly OutgoingMessage[]): Promise<void> {
    const failed = (await this.publish(messages)).find((outcome) => !outcome.ok);
    if (failed && !failed.ok) throw failed.error;
  }

  close(): void {
    this.broker.detach(this);
  }

  /**
   * publishOne publishes a message inside the trace its headers carry, so the broker hop is part of
   * the order's trace even when one batch mixes many orders.
   */
  private publishOne(
    channel: ConfirmChannel,
    message: OutgoingMessage,
  ): { accepted: boolean; outcome: Promise<PublishOutcome> } {
    return context.with(contextFromHeaders(message.headers), () => this.publishInContext(channel, message));
  }

  private publishInContext(
    channel: ConfirmChannel,
    message: OutgoingMessage,
  ): { accepted: boolean; outcome: Promise<PublishOutcome> } {
    let accepted = true;
    const outcome = new Promise<PublishOutcome>((resolve) => {
      const { messageId } = message;
      accepted = channel.publish(
        message.exchange ?? EVENTS_EXCHANGE,
        message.routingKey,
        message.body,
        {
          messageId,
          type: message.type,
          contentType: 'application/json',
          persistent: true,
          mandatory: true,
          timestamp: Math.floor(Date.now() / 1000),
          headers: message.headers,
        },
        (error: unknown) => {
          const wasReturned = this.returned.delete(messageId);
          if (error) {
            resolve({ messageId, ok: false, error: new TransientError('broker did not confirm', { cause: error }) });
          } else if (wasReturned) {
            resolve({
              messageId,
              ok: false,
              error: new TransientError(`unroutable: no queue bound for ${message.routingKey}`),
            });
          } else {
            resolve({ messageId, ok: true });
          }
        },
      );
      if (!this.awaitConfirms) resolve({ messageId, ok: true });
    });
    return { accepted, outcome };
  }
}
