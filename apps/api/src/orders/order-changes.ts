import { createListenClient, type ListenClient } from '@surety/db';
import type { Logger } from '@surety/telemetry';

/** The channel the orders schema's triggers NOTIFY with an order id (migration orders/003). */
export const ORDER_CHANGED_CHANNEL = 'surety_order_changed';

export type OrderChangeListener = () => void;

/**
 * OrderChanges holds one LISTEN connection per api process and fans each order's notifications out
 * to that order's subscribers, so a thousand open pages cost one database connection, not a
 * thousand. Notifications are hints: after the connection is lost and back, every subscriber is
 * told once, since anything may have changed meanwhile.
 */
export class OrderChanges {
  private readonly subscribers = new Map<string, Set<OrderChangeListener>>();
  private client: ListenClient | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  /** subscribe calls `listener` whenever order `orderId` may have changed; the result unsubscribes. */
  async subscribe(orderId: string, listener: OrderChangeListener): Promise<() => void> {
    let listeners = this.subscribers.get(orderId);
    if (!listeners) {
      listeners = new Set();
      this.subscribers.set(orderId, listeners);
    }
    listeners.add(listener);
    this.connecting ??= this.connect();
    await this.connecting;
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

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private notify(orderId: string): void {
    for (const listener of this.subscribers.get(orderId) ?? []) listener();
  }

  private notifyEveryone(): void {
    for (const orderId of this.subscribers.keys()) this.notify(orderId);
  }

  /** connect resolves once listening, or once a first attempt failed (a retry is then scheduled). */
  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = createListenClient(this.databaseUrl, 'surety-api-listen');
    client.on('notification', (message) => {
      if (message.payload) this.notify(message.payload);
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'order change listener lost; reconnecting');
      this.reconnectLater(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${ORDER_CHANGED_CHANNEL}`);
      this.client = client;
      this.notifyEveryone();
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot listen for order changes yet; live views fall back to their own reads');
      this.reconnectLater(client);
    }
  }

  private reconnectLater(client: ListenClient): void {
    if (this.client === client) this.client = undefined;
    void client.end().catch(() => undefined);
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.connecting = this.connect();
    }, 1000);
  }
}
