import { describe, expect, it } from 'vitest';
import { envOf, loadConsumersConfig } from './config.js';

describe('loadConsumersConfig', () => {
  it('hosts every consumer when CONSUMERS is unset, and the named ones in start order otherwise', () => {
    const names = (env: Record<string, string>) => loadConsumersConfig(env).consumers.map((c) => c.name);
    expect(names({})).toEqual(['payment', 'inventory', 'saga', 'notification']);
    expect(names({ CONSUMERS: 'notification, payment' })).toEqual(['payment', 'notification']);
  });

  it('refuses a consumer it cannot host, and a list naming none', () => {
    expect(() => loadConsumersConfig({ CONSUMERS: 'payment,relay' })).toThrow(/cannot host relay/);
    expect(() => loadConsumersConfig({ CONSUMERS: ' , ' })).toThrow(/names none/);
  });
});

describe('envOf', () => {
  it("gives each consumer its own port, never the process's PORT", () => {
    const env = { PORT: '1', PAYMENT_PORT: '9202', PREFETCH: '50' };
    expect(envOf('payment', env)).toEqual({ PAYMENT_PORT: '9202', PREFETCH: '50', PORT: '9202' });
    expect(envOf('saga', env)).toEqual({ PAYMENT_PORT: '9202', PREFETCH: '50' });
  });

  it("gives a consumer its own prefetch when it has one, the process's otherwise", () => {
    const env = { PREFETCH: '50', PAYMENT_PREFETCH: '1' };
    expect(envOf('payment', env).PREFETCH).toBe('1');
    expect(envOf('inventory', env).PREFETCH).toBe('50');
    expect(envOf('inventory', { PAYMENT_PREFETCH: '1' })).not.toHaveProperty('PREFETCH');
  });
});
