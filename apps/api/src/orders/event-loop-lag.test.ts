import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { EventLoopLag } from './event-loop-lag.js';

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('the event loop lag the api sheds on', () => {
  it('runs no timer once nobody has asked for a second', async () => {
    const lag = new EventLoopLag(200, 10, 300);
    expect(lag.sampling).toBe(false);
    lag.recent();
    expect(lag.sampling).toBe(true);
    await sleep(500);
    expect(lag.sampling).toBe(false);
    lag.recent();
    expect(lag.sampling).toBe(true);
  });

  it('stays low while the loop is busy but keeps up, or stalls once; climbs when it falls behind', async () => {
    const lag = new EventLoopLag(200, 10, 1_000);
    lag.recent();
    // Busy nearly all the time, in short slices: utilization near 1, yet nothing waits long.
    const busyUntil = performance.now() + 400;
    while (performance.now() < busyUntil) {
      block(4);
      await new Promise((resolve) => setImmediate(resolve));
      lag.recent();
    }
    expect(lag.recent()).toBeLessThan(10);
    // One 60 ms stall among prompt ticks.
    block(60);
    await sleep(300);
    expect(lag.recent()).toBeLessThan(10);
    // Behind for good: every callback waits 40 ms.
    const behindUntil = performance.now() + 400;
    while (performance.now() < behindUntil) {
      block(40);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(lag.recent()).toBeGreaterThan(20);
    // Two windows later, it is history.
    await sleep(450);
    expect(lag.recent()).toBeLessThan(10);
  });
});
