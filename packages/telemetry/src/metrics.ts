import { collectDefaultMetrics, Registry } from 'prom-client';

/** createRegistry makes a service's metric registry with the process defaults. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
