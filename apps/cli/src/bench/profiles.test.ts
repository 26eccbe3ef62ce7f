import { describe, expect, it } from 'vitest';
import { packageOf, summariseProfile, type CpuProfile } from './profiles.js';

const frame = (id: number, functionName: string, url: string) => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
});

describe('a CPU profile summarised', () => {
  const profile: CpuProfile = {
    startTime: 1_000_000,
    nodes: [
      frame(1, '(idle)', ''),
      frame(2, 'parse', 'file:///app/node_modules/pg-protocol/dist/parser.js'),
      frame(3, 'serialize', 'file:///app/node_modules/@opentelemetry/core/build/index.js'),
      frame(4, 'handle', 'file:///app/dist/payment.js'),
      frame(5, '(garbage collector)', ''),
    ],
    samples: [1, 2, 2, 3, 4, 5, 1],
    timeDeltas: [0, 5000, 1000, 1000, 2000, 4000, 2000],
  };
  const summary = summariseProfile('payment-1', profile);

  it('counts each sample interval as self time of its frame, idle left out', () => {
    expect(summary.busyMs).toBe(10);
    expect(summary.functions[0]).toEqual({ name: 'handle payment.js:10', selfMs: 4, share: 0.4 });
    expect(summary.functions.find((f) => f.name.startsWith('parse'))?.selfMs).toBe(2);
  });

  it('adds functions up by the package that owns them', () => {
    expect(Object.fromEntries(summary.packages.map((p) => [p.name, p.selfMs]))).toEqual({
      surety: 4,
      'pg-protocol': 2,
      '@opentelemetry/core': 2,
      '(garbage collector)': 2,
    });
  });

  it('counts only the samples taken within a window of the clock', () => {
    // Samples are taken at 1.000, 1.005, 1.006, 1.007, 1.009, 1.013 and 1.015 s.
    const window = summariseProfile('payment-1', profile, 10, { fromUs: 1_006_000, toUs: 1_010_000 });
    expect(window.busyMs).toBe(7);
    expect(window.functions.map((f) => f.name)).toEqual([
      'handle payment.js:10',
      'serialize index.js:10',
      'parse parser.js:10',
    ]);
  });

  it('names the owner of a frame', () => {
    expect(packageOf('node:internal/streams/readable', 'read')).toBe('node (runtime)');
    expect(packageOf('', '(program)')).toBe('(program)');
    expect(packageOf('', 'JSON.parse')).toBe('(native)');
    expect(packageOf('/a/node_modules/x/node_modules/@s/y/i.js', 'f')).toBe('@s/y');
  });
});
