import { describe, expect, it } from 'vitest';
import { idlePollDelay } from './relay.js';

describe('idlePollDelay', () => {
  it('polls at the interval while rows flow and backs off, up to the bound, while there are none', () => {
    expect(idlePollDelay(1000, 30_000, 0)).toBe(1000);
    expect(idlePollDelay(1000, 30_000, 1)).toBe(1000);
    expect(idlePollDelay(1000, 30_000, 2)).toBe(2000);
    expect(idlePollDelay(1000, 30_000, 5)).toBe(16_000);
    expect(idlePollDelay(1000, 30_000, 6)).toBe(30_000);
    expect(idlePollDelay(1000, 30_000, 10_000)).toBe(30_000);
  });
});
