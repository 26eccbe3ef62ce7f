import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { appSpecs } from './apps.js';
import { fleetPorts, requireFreePorts } from './fleet.js';

describe('fleetPorts', () => {
  it('gives each replica of each app its base port plus the offset plus 100 per replica', () => {
    const ports = fleetPorts((app) => (app === 'payment' ? 2 : 1), 1000);
    expect(ports).toHaveLength(appSpecs.length + 1);
    expect(ports).toContain(9102 + 1000);
    expect(ports).toContain(9102 + 1000 + 100);
  });
});

describe('requireFreePorts', () => {
  it('names a port something else listens on, and passes free ones', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as AddressInfo).port;
    try {
      await expect(requireFreePorts([taken], 'drill')).rejects.toThrow(`ports ${taken} are taken`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    await expect(requireFreePorts([taken], 'drill')).resolves.toBeUndefined();
  });
});
