import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { appSpecs } from './apps.js';
import { fleetPorts, requireFreePorts } from './fleet.js';

describe('fleetPorts', () => {
  it('gives each replica of each app its base port plus the offset plus 100 per replica', () => {
    const ports = fleetPorts((app) => (app === 'payment' ? 2 : 1), 'apart', 1000);
    expect(ports).toHaveLength(appSpecs.length + 1);
    expect(ports).toContain(9102 + 1000);
    expect(ports).toContain(9102 + 1000 + 100);
  });

  it("counts each port of a consumers' host", () => {
    const ports = fleetPorts((app) => (app === 'consumers' ? 2 : 1), 'together');
    expect(ports).toHaveLength(appSpecs.length + 4);
    expect(ports).toEqual(expect.arrayContaining([9102, 9105, 9202, 9205]));
  });
});

describe('requireFreePorts', () => {
  async function holdAPort() {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    return { holder, port: (holder.address() as AddressInfo).port };
  }

  it('names a port something else listens on, and passes free ones', async () => {
    const { holder, port } = await holdAPort();
    try {
      await expect(requireFreePorts([port], 'drill', { waitMs: 0 })).rejects.toThrow(`ports ${port} are taken`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    await expect(requireFreePorts([port], 'drill', { waitMs: 0 })).resolves.toBeUndefined();
  });

  it('waits for a port a run before is still giving back', async () => {
    const { holder, port } = await holdAPort();
    setTimeout(() => holder.close(), 300);
    await expect(requireFreePorts([port], 'drill', { waitMs: 5_000 })).resolves.toBeUndefined();
  });
});
