import { performance } from 'node:perf_hooks';

interface Window {
  start: number;
  total: number;
  ticks: number;
}

/**
 * EventLoopLag tells how late this process's event loop has been lately, on average: how long a
 * callback that was due waited before it ran. That wait is what a new request waits before the api
 * even reads it. When the api cannot keep up with what arrives, every callback is late and the
 * average climbs; a lone stall (a garbage collection, a moment without CPU on a shared machine)
 * barely moves it, and a busy loop that still keeps up shows none, so neither refuses anyone.
 *
 * A short timer measures it, only while requests come: reading it starts the timer, and the timer
 * stops after a second without a reading, so an idle api does not wake up.
 */
export class EventLoopLag {
  private timer: NodeJS.Timeout | undefined;
  private due = 0;
  private lastRead = 0;
  private current: Window = { start: 0, total: 0, ticks: 0 };
  private previous: Window = { start: Number.NEGATIVE_INFINITY, total: 0, ticks: 0 };

  constructor(
    private readonly windowMs = 200,
    private readonly intervalMs = 10,
    private readonly idleAfterMs = 1_000,
  ) {}

  /** sampling is true while the timer runs. */
  get sampling(): boolean {
    return this.timer !== undefined;
  }

  /** recent answers the mean lag, in milliseconds, over the current window and the one before it. */
  recent(): number {
    const now = performance.now();
    this.lastRead = now;
    this.roll(now);
    if (!this.timer) this.schedule(now);
    const windows = now - this.previous.start < 2 * this.windowMs ? [this.previous, this.current] : [this.current];
    const ticks = windows.reduce((sum, w) => sum + w.ticks, 0);
    return ticks === 0 ? 0 : windows.reduce((sum, w) => sum + w.total, 0) / ticks;
  }

  private schedule(now: number): void {
    this.due = now + this.intervalMs;
    this.timer = setTimeout(() => this.tick(), this.intervalMs).unref();
  }

  private tick(): void {
    const now = performance.now();
    this.roll(now);
    this.current.total += Math.max(0, now - this.due);
    this.current.ticks += 1;
    if (now - this.lastRead > this.idleAfterMs) {
      this.timer = undefined;
      return;
    }
    this.schedule(now);
  }

  private roll(now: number): void {
    if (now - this.current.start < this.windowMs) return;
    this.previous = this.current;
    this.current = { start: now, total: 0, ticks: 0 };
  }
}
