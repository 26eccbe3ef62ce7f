import { ChannelListener, channels } from '@surety/db';
import type { Logger } from '@surety/telemetry';

/**
 * OutboxWakeup listens for the outbox trigger's NOTIFY on its own connection and wakes the relay.
 * It is only a hint: a notification lost while disconnected costs one poll interval, nothing more.
 */
export class OutboxWakeup {
  private readonly listener: ChannelListener;
  private waiter: (() => void) | undefined;
  private pending = false;

  constructor(databaseUrl: string, logger: Logger) {
    this.listener = new ChannelListener({
      databaseUrl,
      channel: channels.outbox,
      applicationName: 'surety-relay-listen',
      logger,
      onNotification: () => this.wake(),
      // Rows may have arrived while nothing listened.
      onListening: () => this.wake(),
    });
  }

  start(): Promise<void> {
    return this.listener.start();
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
    this.wake();
    await this.listener.stop();
  }
}
