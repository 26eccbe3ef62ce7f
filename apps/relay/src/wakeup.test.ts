import { describe, expect, it } from 'vitest';
import { createLogger } from '@surety/telemetry';
import { OutboxWakeup } from './wakeup.js';

// Never started: these exercise what a notification asks for, not the LISTEN connection.
const wakeup = () => new OutboxWakeup('postgres://unused@127.0.0.1:1/unused', createLogger('wakeup-test', 'silent'));

describe('OutboxWakeup', () => {
  it('asks for the schemas that were notified, once', async () => {
    const w = wakeup();
    w.wake('orders');
    w.wake('payments');
    w.wake('orders');
    expect(await w.wait(60_000)).toEqual(new Set(['orders', 'payments']));
    const waiting = w.wait(60_000);
    w.wake('inventory');
    expect(await waiting).toEqual(new Set(['inventory']));
  });

  it('asks for every schema when it timed out or was woken without a schema', async () => {
    const w = wakeup();
    expect(await w.wait(5)).toBe('all');
    w.wake('orders');
    w.wake();
    expect(await w.wait(60_000)).toBe('all');
  });
});
