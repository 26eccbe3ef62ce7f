import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/**
 * EventLoopLoad tells how busy this process's event loop has been since it was last asked (at
 * least a window ago): the share of wall time spent running callbacks rather than waiting for I/O.
 * Near 1, every request queues behind the ones before it (the process is saturated or starved of
 * CPU), so latency grows without bound. It is read on demand, with no timer of its own, so it costs
 * nothing while idle; a quiet spell reads as low load, since the loop was waiting.
 */
export class EventLoopLoad {
  private last: EventLoopUtilization | undefined;
  private sampledAt = 0;
  private utilization = 0;

  constructor(private readonly windowMs = 200) {}

  /** recent answers the utilization over the last completed window (0 to 1); start-up is not counted. */
  recent(): number {
    const now = performance.now();
    if (!this.last) {
      this.last = performance.eventLoopUtilization();
      this.sampledAt = now;
    } else if (now - this.sampledAt >= this.windowMs) {
      const current = performance.eventLoopUtilization();
      this.utilization = performance.eventLoopUtilization(current, this.last).utilization;
      this.last = current;
      this.sampledAt = now;
    }
    return this.utilization;
  }
}
