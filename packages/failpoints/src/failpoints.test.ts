import { afterEach, describe, expect, it } from 'vitest';
import { armFailpoints, failpoint, parseFailpoints } from './index.js';

afterEach(() => armFailpoints(''));

describe('failpoints', () => {
  it('parse actions, probabilities and counts', () => {
    const armed = parseFailpoints(
      'payment.after-charge-before-commit=crash:0.3, saga.before-commit=error*2,consumer.before-ack=hang',
    );
    expect([...armed.entries()]).toEqual([
      ['payment.after-charge-before-commit', { kind: 'crash', probability: 0.3 }],
      ['saga.before-commit', { kind: 'error', probability: 1, remaining: 2 }],
      ['consumer.before-ack', { kind: 'hang', probability: 1 }],
    ]);
  });

  it('refuse unknown names and malformed actions with a clear message', () => {
    expect(() => parseFailpoints('payment.oops=crash')).toThrow(/no failpoint "payment.oops"/);
    expect(() => parseFailpoints('saga.before-commit=explode')).toThrow(/cannot read/);
    expect(() => parseFailpoints('saga.before-commit=crash:1.5')).toThrow(/probability/);
    expect(() => parseFailpoints('saga.before-commit=crash*2')).toThrow(/only error/);
  });

  it('do nothing when disarmed', () => {
    expect(failpoint('saga.before-commit')).toBeUndefined();
  });

  it('throw a transient error the first n times, then let work through', () => {
    armFailpoints('saga.before-commit=error*2');
    expect(() => failpoint('saga.before-commit')).toThrow(/failpoint saga.before-commit/);
    expect(() => failpoint('saga.before-commit')).toThrow();
    expect(failpoint('saga.before-commit')).toBeUndefined();
  });

  it('fire with their probability', () => {
    armFailpoints('saga.before-commit=error:0.5', () => 0.7);
    expect(failpoint('saga.before-commit')).toBeUndefined();
    armFailpoints('saga.before-commit=error:0.5', () => 0.2);
    expect(() => failpoint('saga.before-commit')).toThrow();
  });
});
