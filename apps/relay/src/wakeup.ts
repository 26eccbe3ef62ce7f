import { ChannelListener, channels, type SchemaName } from '@surety/db';
import type { Logger } from '@surety/telemetry';

/** What a wake-up asks the relay to look at: the schemas that were notified, or every one. */
export type DueSchemas = ReadonlySet<string> | 'all';

/** What wakes a polling relay: a timeout, and whatever else the implementation listens for. */
export interface Wakeup {
  /** wait resolves with the schemas due since the last wait, or with 'all' after `timeoutMs`. */
  wait(timeoutMs: number): Promise<DueSchemas>;
  /** wake marks a schema due (every schema without one) and ends the current wait. */
  wake(schema?: SchemaName): void;
}

/**
 * OutboxWakeup listens for the writers' NOTIFY on its own connection (the payload names the schema
 * whose outbox got rows) and wakes the relay for those schemas. It is only a hint: a notification
 * lost while disconnected costs one poll, which looks at every schema, nothing more.
 */
export class OutboxWakeup implements Wakeup {
  private readonly listener: ChannelListener;
  private waiter: (() => void) | undefined;
  private due = new Set<string>();
  private everySchemaDue = false;

  constructor(databaseUrl: string, logger: Logger) {
    this.listener = new ChannelListener({
      databaseUrl,
      channel: channels.outbox,
      applicationName: 'surety-relay-listen',
      logger,
      onNotification: (payload) => this.wake(payload as SchemaName | undefined),
      // Rows may have arrived while nothing listened.
      onListening: () => this.wake(),
    });
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  /** wait resolves with the schemas notified since the last wait, or with 'all' after `timeoutMs`. */
  async wait(timeoutMs: number): Promise<DueSchemas> {
    if (!this.hasDue()) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          if (this.waiter === done) this.waiter = undefined;
          resolve();
        };
        const timer = setTimeout(() => {
          this.everySchemaDue = true;
          done();
        }, timeoutMs);
        this.waiter = done;
      });
    }
    const due: DueSchemas = this.everySchemaDue ? 'all' : this.due;
    this.due = new Set();
    this.everySchemaDue = false;
    return due;
  }

  /** wake marks a schema due (every schema without one) and ends the current wait. */
  wake(schema?: SchemaName): void {
    if (schema) this.due.add(schema);
    else this.everySchemaDue = true;
    this.waiter?.();
  }

  async stop(): Promise<void> {
    this.wake();
    await this.listener.stop();
  }

  private hasDue(): boolean {
    return this.everySchemaDue || this.due.size > 0;
  }
}

/**
 * TimerWakeup wakes the relay only when its wait times out: the sweep beside the CDC relay, which
 * looks for rows that the WAL will not bring (handed back by the reconciler, left pending by a
 * broker that did not confirm them), and so has no use for the writers' NOTIFY.
 */
export class TimerWakeup implements Wakeup {
  private waiter: (() => void) | undefined;

  async wait(timeoutMs: number): Promise<DueSchemas> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.waiter?.(), timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
    });
    return 'all';
  }

  wake(): void {
    this.waiter?.();
  }
}
