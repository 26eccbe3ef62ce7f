import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from '@surety/telemetry';
import type { Pool } from './pool.js';
import type { SchemaName } from './schemas.js';
import type { OutboxRow } from './outbox.js';

/** The publication of every outbox's inserts (migration ops/002), which the CDC relay reads. */
export const outboxPublication = 'surety_outbox';

/** An outbox row as logical replication delivers it, with the schema whose outbox holds it. */
export interface StreamedOutboxRow extends OutboxRow {
  schema: SchemaName;
}

/**
 * One committed transaction's outbox inserts, in commit order. Its rows may be none: a
 * transaction that wrote only to outboxes this stream does not relay still moves the position.
 */
export interface OutboxTransaction {
  /** Where the transaction's commit record starts: confirming it confirms the whole transaction. */
  commitLsn: string;
  /** When it committed, by the server's clock. */
  committedAt: Date;
  rows: StreamedOutboxRow[];
}

/** What prepareOutboxSlot found: the slot as it was, a new one, or a new one in place of a lost one. */
export type SlotState = 'existing' | 'created' | 'recreated';

/**
 * prepareOutboxSlot makes sure the logical replication slot exists and can still be read. A slot
 * Postgres invalidated (it held more WAL than max_slot_wal_keep_size) is dropped and created
 * again. A new slot streams only what commits after it: the caller must publish what the outbox
 * still holds unpublished.
 */
export async function prepareOutboxSlot(pool: Pool, slot: string): Promise<SlotState> {
  const found = await pool.query<{ wal_status: string | null; active_pid: number | null; mine: boolean }>(
    `SELECT wal_status, active_pid, database = current_database() AS mine
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  if (found.rows[0] && !found.rows[0].mine)
    throw new Error(`replication slot ${slot} belongs to another database: give this one its own (RELAY_CDC_SLOT)`);
  const existing = found.rows[0];
  if (existing && existing.wal_status !== 'lost') return 'existing';
  if (existing) {
    if (existing.active_pid !== null) await pool.query('SELECT pg_terminate_backend($1)', [existing.active_pid]);
    await pool.query('SELECT pg_drop_replication_slot($1)', [slot]);
  }
  await pool.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  return existing ? 'recreated' : 'created';
}

/**
 * dropReplicationSlots removes a database's logical replication slots (a CDC relay's), ending the
 * connections that read them: Postgres keeps WAL for a slot, and will not drop a database that has one.
 */
export async function dropReplicationSlots(admin: Pick<pg.ClientBase, 'query'>, database: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { rows } = await admin.query<{ slot_name: string; active_pid: number | null }>(
      'SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = $1',
      [database],
    );
    if (rows.length === 0) return;
    try {
      for (const { slot_name, active_pid } of rows) {
        if (active_pid !== null) await admin.query('SELECT pg_terminate_backend($1)', [active_pid]);
        await admin.query('SELECT pg_drop_replication_slot($1)', [slot_name]);
      }
    } catch (error) {
      // A reader just terminated may hold its slot a moment longer.
      if (attempt >= 20 || !/is active for PID/.test(String(error))) throw error;
      await sleep(100);
    }
  }
}

/** lsnValue reads a position ("X/Y", the hexadecimal halves of 64 bits) as a number to compare. */
function lsnValue(lsn: string): bigint {
  const [high = '0', low = '0'] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/** lsnText writes a position back as "X/Y". */
function lsnText(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

export interface OutboxChangeStreamOptions {
  databaseUrl: string;
  slot: string;
  schemas: readonly SchemaName[];
  logger: Logger;
  /**
   * Receives each committed transaction in commit order. While the promise it returns is pending,
   * the stream reads nothing more: the WAL waits on the server instead of in this process.
   */
  onTransaction: (transaction: OutboxTransaction) => Promise<void> | void;
}

/**
 * OutboxChangeStream reads the outbox inserts from a logical replication slot (pgoutput), one
 * committed transaction at a time. Postgres keeps every transaction after the last position
 * confirmed, and sends it again to the next reader: a position is confirmed only once what it
 * covers is safe elsewhere (`confirm`).
 */
export class OutboxChangeStream {
  private readonly service: LogicalReplicationService;
  private readonly wanted: ReadonlySet<string>;
  private open: OutboxTransaction | undefined;
  /** The last commit handed to the reader, and the last it confirmed. */
  private lastHandedOver: string | undefined;
  private lastConfirmed: string | undefined;
  /** The highest position reported to the server, one past what it covers. */
  private reported = 0n;
  private failure: Error | undefined;

  constructor(private readonly options: OutboxChangeStreamOptions) {
    this.wanted = new Set(options.schemas);
    this.service = new LogicalReplicationService(
      { connectionString: options.databaseUrl, application_name: 'surety-relay-cdc' },
      // Nothing is confirmed behind our back: the library's own acknowledgements would confirm
      // what was received, not what the broker holds.
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    );
    this.service.on('data', (_lsn: string, message: Pgoutput.Message) => this.receive(message));
    this.service.on('heartbeat', (lsn: string, _at: number, shouldRespond: boolean) => {
      // Caught up (everything the server sent before this keepalive handed over and confirmed,
      // no transaction half-read), the reader holds nothing up to the keepalive's position: it
      // reports that position, as Postgres' own subscribers do. The slot then follows the WAL
      // while no outbox row is written, and a server shutting down, which waits for its readers
      // to report the end of the WAL, can finish. Otherwise it repeats what it reported last.
      if (this.caughtUp()) this.report(lsnValue(lsn));
      else if (shouldRespond) this.report(this.reported, true);
    });
    this.service.on('error', (error: Error) => options.logger.debug({ err: error }, 'replication connection error'));
  }

  /**
   * run streams until the connection ends, resolving when stopped and rejecting on any failure:
   * the slot in use by another reader, an invalidated slot, a lost connection.
   */
  async run(): Promise<void> {
    // An explicit 0/0 makes the server start at the slot's confirmed position: left out, the
    // library would ask for the last position it received, skipping what was not confirmed.
    await this.service.subscribe(
      new PgoutputPlugin({ protoVersion: 1, publicationNames: [outboxPublication] }),
      this.options.slot,
      '0/0',
    );
    if (this.failure !== undefined) throw this.failure;
  }

  /** confirm tells Postgres that every transaction up to this one's commit may be forgotten. */
  confirm(commitLsn: string): void {
    this.lastConfirmed = commitLsn;
    // One past the commit record's start: that transaction is covered, nothing after it.
    this.report(lsnValue(commitLsn) + 1n);
  }

  /** keepAlive repeats the position last reported, so the server knows the reader is alive. */
  keepAlive(): void {
    this.report(this.reported, true);
  }

  /** stop ends the replication connection; what was not confirmed is sent again to the next reader. */
  async stop(): Promise<void> {
    await this.service.destroy();
  }

  /**
   * caughtUp: no message received is still waiting in the library's flow-control queue (private
   * fields of pg-logical-replication 2.5.0, pinned; the library pauses the socket the same way),
   * no transaction is half-read, and the last handed over is confirmed.
   */
  private caughtUp(): boolean {
    const library = this.service as unknown as { _messageQueue?: unknown[]; _processing?: boolean };
    if (!Array.isArray(library._messageQueue) || library._messageQueue.length > 0 || library._processing) return false;
    return this.open === undefined && this.lastHandedOver === this.lastConfirmed;
  }

  /** report sends a position, never one below what was already reported. */
  private report(position: bigint, again = false): void {
    if (position <= this.reported && !again) return;
    if (position > this.reported) this.reported = position;
    // The library reports one byte past the position it is given. Nothing reported yet: nothing sent.
    if (this.reported > 0n) void this.service.acknowledge(lsnText(this.reported - 1n));
  }

  private receive(message: Pgoutput.Message): Promise<void> | void {
    switch (message.tag) {
      case 'begin':
        this.open = {
          commitLsn: message.commitLsn ?? '0/0',
          committedAt: postgresTime(Number(message.commitTime)),
          rows: [],
        };
        return;
      case 'insert': {
        const { schema, name } = message.relation;
        if (this.open && name === 'outbox' && this.wanted.has(schema)) {
          this.open.rows.push(streamedRow(schema as SchemaName, message.new));
        }
        return;
      }
      case 'commit': {
        const transaction = this.open;
        this.open = undefined;
        if (!transaction) return;
        const complete = { ...transaction, commitLsn: message.commitLsn ?? transaction.commitLsn };
        this.lastHandedOver = complete.commitLsn;
        return this.handOver(complete);
      }
      default:
        return;
    }
  }

  /**
   * handOver gives a transaction to the reader. The library goes on to the next message after a
   * failed handler, so a failure stops the stream here: nothing after the failed transaction is
   * read, and so nothing after it can be confirmed.
   */
  private async handOver(transaction: OutboxTransaction): Promise<void> {
    try {
      await this.options.onTransaction(transaction);
    } catch (error) {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      await this.stop();
    }
  }
}

/** The library gives the protocol's timestamps as microseconds since the Unix epoch. */
function postgresTime(microseconds: number): Date {
  return new Date(microseconds / 1000);
}

function streamedRow(schema: SchemaName, tuple: Record<string, unknown>): StreamedOutboxRow {
  return {
    schema,
    seq: Number(tuple['seq']),
    id: String(tuple['id']),
    orderId: String(tuple['order_id']),
    type: String(tuple['type']),
    // The client parses jsonb; the message body is the envelope as JSON text again.
    envelope: JSON.stringify(tuple['envelope']),
    headers: (tuple['headers'] ?? {}) as Record<string, string>,
  };
}
