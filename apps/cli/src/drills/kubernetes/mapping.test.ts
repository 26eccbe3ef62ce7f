import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { drills } from '../catalogue.js';
import { readExperiment } from './experiments.js';
import { clusterFaultOf, clusterFaults, clusterRefusal } from './mapping.js';
import { clusterDeployments } from './settings.js';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));
const chaosMeshKinds = [
  'PodChaos',
  'NetworkChaos',
  'StressChaos',
  'IOChaos',
  'TimeChaos',
  'DNSChaos',
  'HTTPChaos',
  'Schedule',
  'Workflow',
];
const byName = (name: string) => drills.find((d) => d.name === name)!;

describe('the cluster mapping', () => {
  it('maps every drill of the catalogue, and nothing else', () => {
    expect(Object.keys(clusterFaults).sort()).toEqual(drills.map((d) => d.name).sort());
    for (const drill of drills) expect(() => clusterFaultOf(drill.name)).not.toThrow();
    expect(() => clusterFaultOf('no-such-drill')).toThrow(/no cluster mapping/);
  });

  it.each(Object.entries(clusterFaults).filter(([, f]) => f.kind === 'experiment'))(
    '%s uses an experiment of chaos-mesh/ that exists and is a Chaos Mesh kind',
    (_name, fault) => {
      if (fault.kind !== 'experiment') throw new Error('filtered above');
      expect(existsSync(join(root, 'chaos-mesh', `${fault.experiment}.yaml`))).toBe(true);
      const template = readExperiment(root, fault.experiment);
      expect(template.apiVersion).toBe('chaos-mesh.org/v1alpha1');
      expect(chaosMeshKinds).toContain(template.kind);
      expect(template.metadata.name).toBe(fault.experiment);
    },
  );

  it.each(Object.entries(clusterFaults).filter(([, f]) => f.kind === 'settings'))(
    '%s arms its fault with the drill’s own settings and heals by writing over them',
    (name, fault) => {
      if (fault.kind !== 'settings') throw new Error('filtered above');
      const drill = byName(name);
      expect(drill.healWithLoad, 'healed as soon as the load is placed, as locally').toBe(true);
      for (const [app, heal] of Object.entries(fault.heal)) {
        expect(clusterDeployments).toContain(app);
        const armed = drill.env?.[app as keyof typeof drill.env] ?? {};
        for (const [variable, value] of Object.entries(heal ?? {})) {
          expect(Object.keys(armed), `${app} ${variable}`).toContain(variable);
          expect(armed[variable]).not.toBe(value);
        }
      }
    },
  );

  it('sets the gateway’s faults for the fault time and clears them after', () => {
    for (const name of ['gateway-outage', 'gateway-slow']) {
      const fault = clusterFaultOf(name);
      expect(fault.kind).toBe('gateway');
      if (fault.kind !== 'gateway') continue;
      expect(Object.keys(fault.after)).toEqual(Object.keys(fault.during));
      expect(Object.values(fault.after).every((value) => value === 0)).toBe(true);
      expect(Object.values(fault.during).every((value) => typeof value === 'number' && value > 0)).toBe(true);
    }
    expect(clusterFaultOf('poison-message').kind).toBe('poison');
  });

  it('says how and what differs for every drill it can run, and why for the one it cannot', () => {
    for (const [name, fault] of Object.entries(clusterFaults)) {
      if (fault.kind === 'unsupported') {
        expect(fault.reason.length, name).toBeGreaterThan(40);
        expect(clusterRefusal(name)).toBe(fault.reason);
      } else {
        expect(fault.how.length, name).toBeGreaterThan(20);
        expect(fault.differs.length, name).toBeGreaterThan(3);
        expect(clusterRefusal(name), name).toBeUndefined();
      }
    }
  });

  it('refuses consumer-freeze, naming SIGSTOP and the heartbeat, rather than faking it', () => {
    expect(clusterRefusal('consumer-freeze')).toMatch(/SIGSTOP/);
    expect(clusterRefusal('consumer-freeze')).toMatch(/heartbeat/);
    expect(
      Object.entries(clusterFaults)
        .filter(([, f]) => f.kind === 'unsupported')
        .map(([name]) => name)
        .sort(),
    ).toEqual([
      'broker-node-pause',
      'broker-rolling-restart',
      'cdc-slot-invalidated',
      'cdc-stall',
      'consumer-freeze',
      'consumer-host-kill-under-load',
    ]);
  });

  it("refuses the consumers' host drill: the chart runs each consumer apart", () => {
    expect(clusterRefusal('consumer-host-kill-under-load')).toMatch(/Deployment of its own/);
  });

  it('refuses the slot drills, naming the server setting CloudNativePG owns', () => {
    expect(clusterRefusal('cdc-stall')).toMatch(/max_slot_wal_keep_size/);
    expect(clusterRefusal('cdc-slot-invalidated')).toMatch(/max_slot_wal_keep_size/);
  });
});
