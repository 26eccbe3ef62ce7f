/** The consumers one process can host, in the order it starts them. */
export const hostableConsumers = ['payment', 'inventory', 'saga', 'notification'] as const;
export type HostableConsumer = (typeof hostableConsumers)[number];

export interface ConsumersConfig {
  /** Each consumer to host, in start order, with the environment it reads its own settings from. */
  consumers: readonly { name: HostableConsumer; env: Record<string, string | undefined> }[];
}

/**
 * loadConsumersConfig reads CONSUMERS, a comma list of the consumers this process hosts (every one
 * when unset), refusing a name it cannot host and a list that names none.
 */
export function loadConsumersConfig(env: Record<string, string | undefined> = process.env): ConsumersConfig {
  const names = (env.CONSUMERS ?? hostableConsumers.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !hostableConsumers.includes(name as HostableConsumer));
  if (unknown.length > 0)
    throw new Error(`CONSUMERS: cannot host ${unknown.join(', ')}; it hosts ${hostableConsumers.join(', ')}`);
  if (names.length === 0) throw new Error(`CONSUMERS names none of ${hostableConsumers.join(', ')}`);
  return {
    consumers: hostableConsumers
      .filter((consumer) => names.includes(consumer))
      .map((name) => ({ name, env: envOf(name, env) })),
  };
}

/**
 * The settings a hosted consumer takes from a variable of its own, `<NAME>_<SETTING>`: its probes'
 * port, so its /metrics and /readyz keep their address, and its prefetch, so one consumer of a host
 * can take fewer deliveries at a time than the others.
 */
export const ownSettings = ['PORT', 'PREFETCH'] as const;
export type OwnSetting = (typeof ownSettings)[number];

/** ownVariable is the variable that gives a hosted consumer its own value of `setting`. */
export function ownVariable(consumer: HostableConsumer, setting: OwnSetting): string {
  return `${consumer.toUpperCase()}_${setting}`;
}

/** portVariable is the variable that gives a hosted consumer its probes' port. */
export function portVariable(consumer: HostableConsumer): string {
  return ownVariable(consumer, 'PORT');
}

/**
 * envOf is the environment a hosted consumer reads its settings from: the process's, with each of
 * `ownSettings` taken from the consumer's own variable. PORT is never shared (unset, the consumer
 * takes its default port); PREFETCH falls back to the process's.
 */
export function envOf(
  consumer: HostableConsumer,
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const own = { ...env };
  for (const setting of ownSettings) {
    const value = env[ownVariable(consumer, setting)] ?? (setting === 'PORT' ? undefined : env[setting]);
    if (value === undefined) delete own[setting];
    else own[setting] = value;
  }
  return own;
}
