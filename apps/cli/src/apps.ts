/**
 * The processes `surety run` supervises, in start order, with the port of their first replica.
 * Background apps do the work behind the queue, which can wait while the api answers.
 */
export const appSpecs = [
  { name: 'gateway', basePort: 8090, portVariable: 'GATEWAY_PORT', scalable: false, background: false },
  { name: 'relay', basePort: 9101, portVariable: 'PORT', scalable: true, background: true },
  { name: 'payment', basePort: 9102, portVariable: 'PORT', scalable: true, background: true },
  { name: 'inventory', basePort: 9103, portVariable: 'PORT', scalable: true, background: true },
  { name: 'saga', basePort: 9104, portVariable: 'PORT', scalable: true, background: true },
  { name: 'notification', basePort: 9105, portVariable: 'PORT', scalable: true, background: true },
  { name: 'api', basePort: 8080, portVariable: 'PORT', scalable: false, background: false },
  { name: 'reconciler', basePort: 9106, portVariable: 'PORT', scalable: false, background: true },
] as const;

export type AppName = (typeof appSpecs)[number]['name'];

/**
 * On one machine the door answers first: background apps run at this niceness unless
 * SURETY_BACKGROUND_NICE says otherwise (0 runs everything alike). On a cluster, each pod's CPU
 * request does this job.
 */
export const DEFAULT_BACKGROUND_NICE = 10;

/** backgroundNice is the niceness an app runs at on one machine: `nice` for background apps, none for the others. */
export function backgroundNice(app: AppName, nice: number): number | undefined {
  return appSpecs.find((spec) => spec.name === app)?.background && nice > 0 ? nice : undefined;
}

/** Replica i of an app listens on its base port plus 100 × i. */
export function replicaPort(basePort: number, replica: number): number {
  return basePort + 100 * replica;
}

/** parseReplicas reads `payment=4,saga=2` into counts, refusing unknown or unscalable apps. */
export function parseReplicas(text: string | undefined): Map<AppName, number> {
  const counts = new Map<AppName, number>();
  for (const part of (text ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value] = part.split('=');
    const spec = appSpecs.find((s) => s.name === name);
    const count = Number(value);
    if (!spec) throw new Error(`--replicas: unknown app ${name}`);
    if (!spec.scalable) throw new Error(`--replicas: ${name} runs as one process`);
    if (!Number.isInteger(count) || count < 1 || count > 16)
      throw new Error(`--replicas: ${part} needs a count from 1 to 16`);
    counts.set(spec.name, count);
  }
  return counts;
}

/**
 * relayModeEnv is what every app needs for the relay mode `env` asks for. Reading the WAL, the
 * CDC relay publishes every outbox row: writers that published their own would send each event
 * twice, so they leave theirs to it.
 */
export function relayModeEnv(env: Record<string, string | undefined>): Record<string, string> {
  const mode = env.RELAY_MODE ?? 'polling';
  if (mode === 'polling') return {};
  if (mode !== 'cdc') throw new Error(`RELAY_MODE must be polling or cdc, not "${mode}"`);
  if (env.OUTBOX_DISPATCH === 'writer')
    throw new Error('RELAY_MODE=cdc publishes every outbox row: leave OUTBOX_DISPATCH unset, or set it to relay');
  return { RELAY_MODE: 'cdc', OUTBOX_DISPATCH: 'relay' };
}
