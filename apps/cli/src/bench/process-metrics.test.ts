import { describe, expect, it } from 'vitest';
import { serverOfStat } from './process-metrics.js';

describe('serverOfStat', () => {
  it("counts a server process's own CPU and that of the children it reaped, so an exited backend's stays counted", () => {
    // The postmaster: 6 + 128 ticks of its own, 23376 + 10601 of backends that have exited.
    const postmaster =
      '30886 (postgres) S 1 30886 30886 0 -1 4194304 27537 2253508 0 25 6 128 23376 10601 20 0 1 0 100';
    expect(serverOfStat(postmaster)).toEqual({ server: 'postgres', cpuSeconds: 341.11 });
    const beam = '30718 (beam.smp) S 1 30718 30718 0 -1 4194560 1 2 3 4 1500 300 0 0 20 0 30 0 200';
    expect(serverOfStat(beam)).toEqual({ server: 'rabbitmq', cpuSeconds: 18 });
    // A process name may hold spaces and parentheses.
    expect(serverOfStat('42 (node (x) y) S 1 42 42 0 -1 0 0 0 0 0 5 5 0 0 20')).toBeUndefined();
    expect(serverOfStat('')).toBeUndefined();
  });
});
