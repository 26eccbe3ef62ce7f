import pg from 'pg';
import type { Logger } from '@surety/telemetry';

export const OUTBOX_CHANNEL = 'surety_outbox';

/**
 * OutboxWakeup listens for the outbox trigger's NOTIFY on its own connection and wakes the relay.
 * It is only a hint: a notification lost while disconnected costs one poll interval, nothing more.
 */
export class OutboxWakeup {
  private client: pg.Client | undefined;
  private waiter: (() => void) | undefined;
  private pending = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'surety-relay-listen' });
    client.on('notification', () => this.wake());
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'outbox listener lost; polling until it is back');
      this.reconnectLater(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.client = client;
      this.wake(); // rows may have arrived while we were not listening
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot listen for outbox notifications yet');
      this.reconnectLater(client);
    }
  }

  /** wait resolves on the next notification, or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.waiter === done) this.waiter = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiter = done;
    });
  }

  wake(): void {
    if (this.waiter) this.waiter();
    else this.pending = true;
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.wake();
    await this.client?.end().catch(() => undefined);
  }

  private reconnectLater(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    void client.end().catch(() => undefined);
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.start(), 1000);
  }
}
