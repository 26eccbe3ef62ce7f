import { ChannelListener, channels } from '@surety/db';
import type { Logger } from '@surety/telemetry';

export type OrderChangeListener = () => void;

/**
 * OrderChanges holds one LISTEN connection per api process and fans each order's notifications out
 * to that order's subscribers, so a thousand open pages cost one database connection, not a
 * thousand. Notifications are hints: after the connection is lost and back, every subscriber is
 * told once, since anything may have changed meanwhile.
 */
export class OrderChanges {
  private readonly subscribers = new Map<string, Set<OrderChangeListener>>();
  private readonly listener: ChannelListener;
  private listening: Promise<void> | undefined;

  constructor(databaseUrl: string, logger: Logger) {
    this.listener = new ChannelListener({
      databaseUrl,
      channel: channels.orderChanged,
      applicationName: 'surety-api-listen',
      logger,
      onNotification: (orderId) => {
        if (orderId) this.notify(orderId);
      },
      onListening: () => this.notifyEveryone(),
    });
  }

  /** subscribe calls `listener` whenever order `orderId` may have changed; the result unsubscribes. */
  async subscribe(orderId: string, listener: OrderChangeListener): Promise<() => void> {
    let listeners = this.subscribers.get(orderId);
    if (!listeners) {
      listeners = new Set();
      this.subscribers.set(orderId, listeners);
    }
    listeners.add(listener);
    // The connection opens with the first live view; until it listens, views read for themselves.
    this.listening ??= this.listener.start();
    await this.listening;
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.subscribers.get(orderId) === listeners) this.subscribers.delete(orderId);
    };
  }

  /** subscriberCount is how many live views are open, over every order. */
  subscriberCount(): number {
    let count = 0;
    for (const listeners of this.subscribers.values()) count += listeners.size;
    return count;
  }

  close(): Promise<void> {
    return this.listener.stop();
  }

  private notify(orderId: string): void {
    for (const listener of this.subscribers.get(orderId) ?? []) listener();
  }

  private notifyEveryone(): void {
    for (const orderId of this.subscribers.keys()) this.notify(orderId);
  }
}
