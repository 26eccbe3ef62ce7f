import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import pg from 'pg';
import { spreadOf, type Spread } from './stats.js';

export interface Ceilings {
  /** Single-row INSERT commits per second, pgbench with `clients` connections. */
  postgresInsertsPerSecond: Spread;
  postgresMethod: string;
  /** The same with a pg_notify inside each transaction: what a write that NOTIFYs before its commit costs. */
  postgresNotifyingInsertsPerSecond: Spread;
  /** Persistent publishes per second confirmed by a quorum queue. */
  rabbitmqConfirmedPublishesPerSecond: Spread;
  rabbitmqMethod: string;
}

const pgbenchPaths = ['/usr/lib/postgresql/15/bin/pgbench', 'pgbench'];

async function pgbench(args: string[]): Promise<string> {
  let lastError: unknown;
  for (const path of pgbenchPaths) {
    try {
      const { stdout } = await promisify(execFile)(path, args, { timeout: 120_000 });
      return stdout;
    } catch (error) {
      lastError = error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') break;
    }
  }
  throw new Error(`pgbench failed: ${(lastError as Error).message}`);
}

/**
 * measurePostgresCeiling runs pgbench with a one-statement script, a single-row INSERT (each its
 * own committed transaction, fsync on), warm-up first, then `repetitions` runs of `seconds`.
 */
export async function measurePostgresCeiling(
  databaseUrl: string,
  options: { seconds: number; repetitions: number; clients: number; notify?: boolean; say: (line: string) => void },
): Promise<{ spread: Spread; method: string }> {
  const url = new URL(databaseUrl);
  const connection = [
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username) || 'postgres',
    url.pathname.slice(1),
  ];
  await pgbench(['-n', '-c', '1', '-t', '1', '-f', '/dev/null', ...connection]).catch(() => undefined);
  const folder = await mkdtemp(join(tmpdir(), 'surety-pgbench-'));
  const script = join(folder, 'insert.sql');
  const insert = "INSERT INTO bench_inserts (payload) VALUES ('order placed at ' || clock_timestamp());";
  // NOTIFY takes a cluster-wide lock at commit, so notifying transactions commit one at a time.
  await writeFile(
    script,
    options.notify ? `BEGIN;\n${insert}\nSELECT pg_notify('bench_ceiling', 'x');\nCOMMIT;\n` : `${insert}\n`,
  );
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('CREATE TABLE IF NOT EXISTS bench_inserts (id bigserial PRIMARY KEY, payload text NOT NULL)');
  await client.end();
  const base = ['-n', '-c', String(options.clients), '-j', '2', '-f', script];
  try {
    await pgbench([...base, '-T', '2', ...connection]);
    const runs: number[] = [];
    for (let i = 0; i < options.repetitions; i++) {
      const output = await pgbench([...base, '-T', String(options.seconds), ...connection]);
      const tps = /tps = ([\d.]+)/.exec(output);
      if (!tps) throw new Error(`pgbench printed no tps:\n${output}`);
      runs.push(Number(tps[1]));
      options.say(
        `  postgres run ${i + 1}/${options.repetitions}: ${Math.round(runs.at(-1)!)} ${options.notify ? 'notifying ' : ''}inserts/s`,
      );
    }
    return {
      spread: spreadOf(runs),
      method: `pgbench -n -c ${options.clients} -j 2 -T ${options.seconds}, one single-row INSERT per transaction (fsync on${options.notify ? ', plus a pg_notify inside the transaction' : ''}), ${options.repetitions} runs after a 2 s warm-up`,
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * measureRabbitCeiling publishes persistent 512-byte messages to a fresh quorum queue over one
 * confirm channel, keeping `window` unconfirmed at most, and counts confirms per second.
 */
export async function measureRabbitCeiling(
  amqpUrl: string,
  options: { seconds: number; repetitions: number; window: number; say: (line: string) => void },
): Promise<{ spread: Spread; method: string }> {
  const connection = await amqp.connect(amqpUrl);
  const queue = `bench.ceiling.${randomBytes(3).toString('hex')}`;
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const body = Buffer.alloc(512, 'x');
    const publishFor = async (seconds: number) => {
      const deadline = Date.now() + seconds * 1000;
      const started = Date.now();
      let confirmed = 0;
      let outstanding = 0;
      await new Promise<void>((resolve, reject) => {
        const pump = () => {
          while (outstanding < options.window && Date.now() < deadline) {
            outstanding += 1;
            channel.sendToQueue(queue, body, { persistent: true }, (error) => {
              outstanding -= 1;
              if (error) return reject(new Error(`publish nacked: ${String(error)}`));
              confirmed += 1;
              if (Date.now() < deadline) pump();
              else if (outstanding === 0) resolve();
            });
          }
        };
        pump();
      });
      return confirmed / ((Date.now() - started) / 1000);
    };
    await publishFor(2);
    await channel.purgeQueue(queue);
    const runs: number[] = [];
    for (let i = 0; i < options.repetitions; i++) {
      runs.push(await publishFor(options.seconds));
      await channel.purgeQueue(queue);
      options.say(`  rabbitmq run ${i + 1}/${options.repetitions}: ${Math.round(runs.at(-1)!)} confirmed publishes/s`);
    }
    await channel.deleteQueue(queue);
    return {
      spread: spreadOf(runs),
      method: `one confirm channel, persistent 512-byte messages to a quorum queue, at most ${options.window} unconfirmed, ${options.seconds} s per run, ${options.repetitions} runs after a 2 s warm-up`,
    };
  } finally {
    await connection.close().catch(() => undefined);
  }
}
