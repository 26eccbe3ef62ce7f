import { TransientError } from '@surety/contracts';

/** Every crash point compiled into the code, with the moment it stands for. */
export const failpointCatalogue = {
  'payment.after-charge-before-commit':
    'payment has the gateway’s answer for a charge; its transaction (payment row, event, inbox) has not committed',
  'relay.after-publish-before-mark': 'the broker confirmed a batch; the relay has not marked its rows published',
  'outbox.after-publish-before-mark':
    'the broker confirmed the events a writer published after its commit; it has not marked them published',
  'consumer.before-ack': 'a handler’s transaction committed; the message is not acked yet',
  'saga.before-commit': 'the saga decided an order’s next state; its transaction has not committed',
} as const;

export type FailpointName = keyof typeof failpointCatalogue;

export type FailpointAction =
  | { kind: 'crash'; probability: number }
  | { kind: 'hang'; probability: number }
  | { kind: 'error'; probability: number; remaining: number };

/**
 * parseFailpoints reads `name=action[,name=action…]` where action is `crash`, `hang` or `error`,
 * optionally `:p` for a probability (0 < p ≤ 1) or, for error, `*n` for the first n passes only:
 * `payment.after-charge-before-commit=crash:0.3,saga.before-commit=error*2`.
 */
export function parseFailpoints(spec: string): Map<FailpointName, FailpointAction> {
  const armed = new Map<FailpointName, FailpointAction>();
  for (const entry of spec
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([a-z.-]+)=(crash|hang|error)(?::([0-9.]+)|\*(\d+))?$/.exec(entry);
    if (!match) throw new Error(`SURETY_FAILPOINTS: cannot read "${entry}" (name=crash|hang|error[:p|*n])`);
    const [, name, kind, probabilityText, countText] = match;
    if (!(name! in failpointCatalogue)) {
      throw new Error(
        `SURETY_FAILPOINTS: no failpoint "${name}"; known: ${Object.keys(failpointCatalogue).join(', ')}`,
      );
    }
    const probability = probabilityText === undefined ? 1 : Number(probabilityText);
    if (!(probability > 0 && probability <= 1))
      throw new Error(`SURETY_FAILPOINTS: probability of ${name} must be in (0, 1]`);
    if (countText !== undefined && kind !== 'error')
      throw new Error(`SURETY_FAILPOINTS: only error takes a count (${entry})`);
    const action: FailpointAction =
      kind === 'error'
        ? { kind, probability, remaining: countText === undefined ? Infinity : Number(countText) }
        : { kind: kind as 'crash' | 'hang', probability };
    armed.set(name as FailpointName, action);
  }
  return armed;
}

let armed = new Map<FailpointName, FailpointAction>();
let random: () => number = Math.random;

/** armFailpoints enables the failpoints a process was started with; an empty spec disarms all. */
export function armFailpoints(spec: string | undefined, source: () => number = Math.random): void {
  armed = parseFailpoints(spec ?? '');
  random = source;
}

/**
 * failpoint is a named crash point: nothing unless armed. `crash` ends the process at once with
 * SIGKILL (no cleanup, no flushed buffers, as a power cut would), `hang` never returns, and
 * `error` throws a TransientError.
 */
export function failpoint(name: FailpointName): Promise<void> | undefined {
  if (armed.size === 0) return undefined;
  const action = armed.get(name);
  if (!action || random() >= action.probability) return undefined;
  switch (action.kind) {
    case 'crash':
      process.kill(process.pid, 'SIGKILL');
      return new Promise<void>(() => undefined);
    case 'hang':
      return new Promise<void>(() => undefined);
    case 'error':
      if (action.remaining <= 0) return undefined;
      action.remaining -= 1;
      throw new TransientError(`failpoint ${name}`);
  }
}
