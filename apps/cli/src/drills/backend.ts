import type { Drill, DrillSize, Heal } from './catalogue.js';
import type { DrillStack } from './environment.js';

/** Where a drill runs: `local` processes under a supervisor, or the `kubernetes` cluster of `make up`. */
export type DrillTarget = 'local' | 'kubernetes';

/** What the runner gives a fault as it starts. */
export interface FaultRun {
  size: DrillSize;
  say: (line: string) => void;
  /** Ids of poison messages injected on purpose: the judge expects them in a DLQ. */
  poison: string[];
}

/** A stack with the drill's settings in place, and the drill's fault ready to start. */
export interface PreparedDrill {
  stack: DrillStack;
  /** Starts the fault as the load starts; the returned heal mends it. */
  inject(run: FaultRun): Promise<Heal>;
}

/**
 * The seam between the drills and what they break: the same load and the same judge run against
 * any backend; only how the stack is reached and how the fault is caused differ.
 */
export interface DrillBackend {
  readonly target: DrillTarget;
  /** Why this backend cannot cause the drill's fault faithfully; undefined when it can. */
  refusal(drill: Drill): string | undefined;
  /** Stands up or reaches the stack, with the drill's replicas and settings. */
  prepare(drill: Drill, options: { gatewayIgnoresKeys: boolean; say: (line: string) => void }): Promise<PreparedDrill>;
}
