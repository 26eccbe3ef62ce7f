import type { ConfirmChannel, GetMessage } from 'amqplib';
import { context } from '@opentelemetry/api';
import { contextFromHeaders } from '@surety/telemetry';
import type { Broker } from './broker.js';
import { failureHeaders } from './consumer.js';
import { deadLetterQueueName, queues } from './topology.js';

/** The header counting how many times a dead letter was sent back to its queue. */
export const REPLAY_COUNT_HEADER = 'x-replay-count';

export interface DeadLetter {
  deadLetterQueue: string;
  /** Where the message failed, and where a replay sends it. */
  queue: string;
  messageId: string;
  type: string;
  reason: string;
  errorClass: string;
  attempts: number;
  firstFailedAt: string | null;
  consumer: string | null;
  replays: number;
  headers: Record<string, unknown>;
  body: string;
}

export type DeadLetterFilter = { messageId: string } | { reason: string } | { all: true };

export interface DeadLetterAction {
  action: 'replay' | 'purge';
  letter: DeadLetter;
  /** Why a selected letter was left where it is. */
  refused?: string;
}

interface XDeath {
  queue?: string;
  reason?: string;
  count?: number;
}

/** describeDeadLetter reads a dead letter's story from its headers: ours, or the broker's x-death. */
export function describeDeadLetter(
  deadLetterQueue: string,
  message: Pick<GetMessage, 'properties' | 'content'>,
): DeadLetter {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const death = (Array.isArray(headers['x-death']) ? headers['x-death'][0] : undefined) as XDeath | undefined;
  const text = (name: string) => (typeof headers[name] === 'string' ? headers[name] : undefined);
  const quarantined = !text(failureHeaders.error) && death !== undefined;
  return {
    deadLetterQueue,
    queue: text(failureHeaders.originalQueue) ?? death?.queue ?? deadLetterQueue.replace(/\.dlq$/, ''),
    messageId: String(message.properties.messageId ?? ''),
    type: String(message.properties.type ?? ''),
    // A message the broker dead-lettered itself (delivery limit) never reached our failure handling.
    reason: quarantined ? `broker: ${death.reason ?? 'unknown'}` : (text(failureHeaders.error) ?? 'unknown'),
    errorClass: quarantined ? (death.reason ?? 'unknown') : (text(failureHeaders.errorClass) ?? 'unknown'),
    attempts: Number(headers[failureHeaders.attempts] ?? death?.count ?? 0),
    firstFailedAt: text(failureHeaders.firstFailedAt) ?? null,
    consumer: text(failureHeaders.consumer) ?? null,
    replays: Number(headers[REPLAY_COUNT_HEADER] ?? 0),
    headers,
    body: message.content.toString('utf8'),
  };
}

function matches(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  if ('all' in filter) return true;
  if ('messageId' in filter) return letter.messageId === filter.messageId;
  const needle = filter.reason.toLowerCase();
  return `${letter.reason} ${letter.errorClass}`.toLowerCase().includes(needle);
}

/** The headers a replayed copy keeps: everything but the failure record, plus one more replay. */
function replayHeaders(letter: DeadLetter): Record<string, unknown> {
  const dropped = new Set<string>([
    ...Object.values(failureHeaders),
    'x-death',
    'x-first-death-exchange',
    'x-first-death-queue',
    'x-first-death-reason',
    'x-last-death-exchange',
    'x-last-death-queue',
    'x-last-death-reason',
    'x-delivery-count',
  ]);
  const kept = Object.fromEntries(Object.entries(letter.headers).filter(([name]) => !dropped.has(name)));
  return { ...kept, [REPLAY_COUNT_HEADER]: letter.replays + 1 };
}

/** publishConfirmed sends a replay inside the trace the dead letter carries: the order's own. */
function publishConfirmed(channel: ConfirmChannel, letter: DeadLetter, message: GetMessage): Promise<void> {
  return context.with(contextFromHeaders(letter.headers), () => publishReplay(channel, letter, message));
}

function publishReplay(channel: ConfirmChannel, letter: DeadLetter, message: GetMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish(
      '',
      letter.queue,
      message.content,
      {
        messageId: letter.messageId,
        type: letter.type,
        contentType: message.properties.contentType as string | undefined,
        persistent: true,
        mandatory: true,
        headers: replayHeaders(letter),
      },
      (error: unknown) => (error ? reject(new Error('replay not confirmed', { cause: error })) : resolve()),
    );
  });
}

export interface ActionOptions {
  /** One DLQ (or the queue whose DLQ it is); every DLQ when absent. */
  queue?: string;
  dryRun?: boolean;
  /** Records an action after it is done and before the dead letter is settled. */
  audit?: (action: DeadLetterAction) => Promise<void>;
}

export interface DeadLetterBoxOptions {
  /** DLQs to look in; every consumer queue's by default. */
  deadLetterQueues?: string[];
  /** Most messages read from one DLQ in one pass. */
  limit?: number;
}

/**
 * DeadLetterBox inspects, replays and purges dead letters. A pass fetches a DLQ's messages without
 * acking them, acts on those the filter selects (replay: a confirmed publish of a copy, same
 * messageId and trace headers, to the queue it failed in, then an ack; purge: an ack), and returns
 * every other message to the DLQ untouched.
 */
export class DeadLetterBox {
  private readonly deadLetterQueues: string[];
  private readonly limit: number;

  constructor(
    private readonly broker: Broker,
    options: DeadLetterBoxOptions = {},
  ) {
    this.deadLetterQueues = options.deadLetterQueues ?? Object.values(queues).map((q) => deadLetterQueueName(q.name));
    this.limit = options.limit ?? 10_000;
  }

  /** list reads every dead letter, leaving each where it is. */
  async list(queue?: string): Promise<DeadLetter[]> {
    const found: DeadLetter[] = [];
    for (const dlq of this.selectQueues(queue)) {
      await this.pass(dlq, async (_channel, letters) => {
        found.push(...letters.map(({ letter }) => letter));
        return [];
      });
    }
    return found;
  }

  /**
   * replay sends the selected letters back to the queue they failed in, refusing one already
   * replayed `maxReplays` times. A dry run reports what would be done and changes nothing.
   */
  async replay(
    filter: DeadLetterFilter,
    options: ActionOptions & { maxReplays?: number },
  ): Promise<DeadLetterAction[]> {
    const maxReplays = options.maxReplays ?? 3;
    return this.act(filter, options.queue, async (channel, letter, message) => {
      if (letter.replays >= maxReplays)
        return { action: 'replay', letter, refused: `already replayed ${letter.replays} times` };
      const action: DeadLetterAction = { action: 'replay', letter };
      if (!options.dryRun) {
        await publishConfirmed(channel, letter, message);
        await options.audit?.(action);
        channel.ack(message);
      }
      return action;
    });
  }

  /** purge deletes the selected letters for good. */
  async purge(filter: DeadLetterFilter, options: ActionOptions): Promise<DeadLetterAction[]> {
    return this.act(filter, options.queue, async (channel, letter, message) => {
      const action: DeadLetterAction = { action: 'purge', letter };
      if (!options.dryRun) {
        await options.audit?.(action);
        channel.ack(message);
      }
      return action;
    });
  }

  private selectQueues(queue: string | undefined): string[] {
    if (!queue) return this.deadLetterQueues;
    const dlq = queue.endsWith('.dlq') ? queue : deadLetterQueueName(queue);
    return [dlq];
  }

  private async act(
    filter: DeadLetterFilter,
    queue: string | undefined,
    onSelected: (channel: ConfirmChannel, letter: DeadLetter, message: GetMessage) => Promise<DeadLetterAction>,
  ): Promise<DeadLetterAction[]> {
    const actions: DeadLetterAction[] = [];
    for (const dlq of this.selectQueues(queue)) {
      await this.pass(dlq, async (channel, letters) => {
        const handled: GetMessage[] = [];
        for (const { letter, message } of letters.filter(({ letter }) => matches(letter, filter))) {
          const action = await onSelected(channel, letter, message);
          actions.push(action);
          if (!action.refused) handled.push(message);
        }
        return handled;
      });
    }
    return actions;
  }

  /**
   * pass holds up to `limit` messages of one DLQ unacked while `work` runs, then requeues every
   * message `work` did not settle itself.
   */
  private async pass(
    dlq: string,
    work: (channel: ConfirmChannel, letters: { letter: DeadLetter; message: GetMessage }[]) => Promise<GetMessage[]>,
  ): Promise<void> {
    await this.broker.withConfirmChannel(async (channel) => {
      // Read until the queue answers empty, not up to its message count: a quorum queue's count can
      // still miss a message the last pass has just put back, while a get is ordered after it.
      const letters: { letter: DeadLetter; message: GetMessage }[] = [];
      while (letters.length < this.limit) {
        const message = await channel.get(dlq, { noAck: false });
        if (message === false) break;
        letters.push({ letter: describeDeadLetter(dlq, message), message });
      }
      const settled = new Set(await work(channel, letters));
      for (const { message } of letters) if (!settled.has(message)) channel.nack(message, false, true);
    });
  }
}

/** reasonHistogram counts dead letters by reason, most frequent first. */
export function reasonHistogram(letters: DeadLetter[]): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const letter of letters) {
    const key = `${letter.errorClass}: ${letter.reason.split(':')[0]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}
