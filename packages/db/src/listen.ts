import type pg from 'pg';
import type { Logger } from '@surety/telemetry';
import { createClient } from './host-list.js';

export interface ChannelListenerOptions {
  databaseUrl: string;
  /** The NOTIFY channel to LISTEN on. */
  channel: string;
  /** How the connection shows in pg_stat_activity. */
  applicationName: string;
  logger: Logger;
  onNotification(payload: string | undefined): void;
  /** Runs after every connect: whatever was notified while not listening is lost, so look again. */
  onListening(): void;
  /** What a lost or failed connection costs until the next attempt. */
  retryMs?: number;
}

/**
 * ChannelListener keeps one dedicated connection LISTENing on a channel (notifications arrive only on
 * the connection that listens, so it lives outside any pool), and reconnects when it is lost.
 * Notifications are hints: callers must tolerate missing those sent while it reconnects.
 */
export class ChannelListener {
  private client: pg.Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: ChannelListenerOptions) {}

  /** start resolves once listening, or once a first attempt failed (another is then scheduled). */
  async start(): Promise<void> {
    if (this.closed) return;
    const { databaseUrl, applicationName, channel, logger } = this.options;
    const client = createClient(databaseUrl, { application_name: applicationName });
    client.on('notification', (message) => this.options.onNotification(message.payload));
    client.on('error', (error) => {
      logger.warn({ err: error, channel }, 'listening connection lost; reconnecting');
      this.reconnectLater(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      this.client = client;
      this.options.onListening();
    } catch (error) {
      logger.warn({ err: error, channel }, 'cannot listen yet; trying again');
      this.reconnectLater(client);
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private reconnectLater(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    void client.end().catch(() => undefined);
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.start(), this.options.retryMs ?? 1000);
  }
}
