import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { defaults } from '@surety/config';
import { createPool } from '@surety/db';
import {
  auditTo,
  Broker,
  DeadLetterBox,
  reasonHistogram,
  type DeadLetter,
  type DeadLetterAction,
  type DeadLetterFilter,
} from '@surety/messaging';
import { createLogger } from '@surety/telemetry';

export const dlqUsage = `usage: surety dlq <command>
  list  [--queue Q]                                   dead letters and a histogram of their reasons
  show  <messageId>                                   one dead letter, headers and body
  replay (<messageId> | --reason TEXT | --all) [--queue Q] [--dry-run] [--max-replays N]
  purge  (<messageId> | --reason TEXT | --all) [--queue Q] [--dry-run] [--yes]`;

type Say = (line: string) => void;

const pastTense = { replay: 'replayed', purge: 'purged' } as const;

function row(letter: DeadLetter): string {
  return [
    letter.messageId.padEnd(36),
    letter.queue.padEnd(20),
    letter.type.padEnd(18),
    String(letter.attempts).padStart(3),
    String(letter.replays).padStart(3),
    letter.reason.slice(0, 90),
  ].join('  ');
}

function printLetters(say: Say, letters: DeadLetter[]): void {
  say(`${'messageId'.padEnd(36)}  ${'queue'.padEnd(20)}  ${'type'.padEnd(18)}  att  rep  reason`);
  for (const letter of letters) say(row(letter));
  say('');
  say(`${letters.length} dead letter(s); by reason:`);
  for (const { reason, count } of reasonHistogram(letters)) say(`  ${String(count).padStart(6)}  ${reason}`);
}

function printActions(say: Say, actions: DeadLetterAction[], dryRun: boolean): void {
  for (const { action, letter, refused } of actions) {
    const verb = refused ? `refused (${refused})` : dryRun ? `would ${action}` : pastTense[action];
    say(`${verb.padEnd(34)} ${letter.messageId}  ${letter.queue}  ${letter.reason.slice(0, 60)}`);
  }
  const done = actions.filter((a) => !a.refused).length;
  say(`${done} ${dryRun ? 'selected (dry run: nothing changed)' : 'done'}, ${actions.length - done} refused`);
}

function filterFrom(positional: string | undefined, values: { reason?: string; all?: boolean }): DeadLetterFilter {
  const chosen = [positional !== undefined, values.reason !== undefined, values.all === true].filter(Boolean).length;
  if (chosen !== 1) throw new Error('name exactly one of: a messageId, --reason TEXT, --all');
  if (positional) return { messageId: positional };
  if (values.reason) return { reason: values.reason };
  return { all: true };
}

async function confirmPurge(count: number, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) throw new Error('purge deletes for good: pass --yes to confirm when not at a terminal');
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await prompt.question(`purge ${count} dead letter(s) for good? type "purge" to confirm: `);
  prompt.close();
  return answer.trim() === 'purge';
}

/** dlq runs `surety dlq …` against the configured broker and database. */
export async function dlq(argv: string[], say: Say): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      queue: { type: 'string' },
      reason: { type: 'string' },
      all: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'max-replays': { type: 'string' },
      yes: { type: 'boolean' },
    },
  });
  if (!command || !['list', 'show', 'replay', 'purge'].includes(command)) {
    say(dlqUsage);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger('surety-dlq', 'warn');
  const broker = await Broker.connect(process.env.AMQP_URL ?? defaults.amqpUrl, logger);
  const pool = createPool(process.env.DATABASE_URL ?? defaults.databaseUrl, logger, { max: 2 });
  const box = new DeadLetterBox(broker);
  const audit = auditTo(pool, `cli:${userInfo().username}`);
  const dryRun = values['dry-run'] === true;
  try {
    switch (command) {
      case 'list':
        printLetters(say, await box.list(values.queue));
        return;
      case 'show': {
        const letter = (await box.list(values.queue)).find((l) => l.messageId === positionals[0]);
        if (!letter) throw new Error(`no dead letter ${positionals[0] ?? '(give a messageId)'}`);
        say(JSON.stringify({ ...letter, body: tryParse(letter.body) }, null, 2));
        return;
      }
      case 'replay': {
        const maxReplays = values['max-replays'] ? Number(values['max-replays']) : undefined;
        const actions = await box.replay(filterFrom(positionals[0], values), {
          queue: values.queue,
          dryRun,
          audit,
          maxReplays,
        });
        printActions(say, actions, dryRun);
        return;
      }
      case 'purge': {
        const filter = filterFrom(positionals[0], values);
        const selected = await box.purge(filter, { queue: values.queue, dryRun: true });
        if (dryRun || selected.length === 0) return printActions(say, selected, true);
        if (!(await confirmPurge(selected.length, values.yes === true))) return say('nothing purged');
        printActions(say, await box.purge(filter, { queue: values.queue, audit }), false);
        return;
      }
    }
  } finally {
    await broker.close();
    await pool.end();
  }
}

function tryParse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
