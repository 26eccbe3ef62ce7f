import type { ProcessSpec, Supervisor } from './supervisor.js';

/**
 * fakeSupervisor records what a ReplicaSet starts and stops, for unit tests. A stop is held open
 * until released, as a draining replica's would be, unless `stopsAtOnce`.
 */
export function fakeSupervisor(options: { stopsAtOnce?: boolean } = {}) {
  const running = new Map<string, ProcessSpec>();
  const draining = new Map<string, () => void>();
  const started: ProcessSpec[] = [];
  const supervisor = {
    ids: () => [...running.keys()],
    specOf: (id: string) => running.get(id),
    start: (spec: ProcessSpec) => {
      running.set(spec.id, spec);
      started.push(spec);
    },
    stopOne: (id: string) =>
      new Promise<void>((resolve) => {
        running.delete(id);
        if (options.stopsAtOnce) resolve();
        else draining.set(id, resolve);
      }),
  };
  return { supervisor: supervisor as unknown as Supervisor, running, draining, started };
}
