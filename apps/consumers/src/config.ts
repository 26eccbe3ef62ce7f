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
 * portVariable is the variable that gives a hosted consumer its probes' port: each listens on its
 * own, as it would alone, so its /metrics and /readyz keep their address.
 */
export function portVariable(consumer: HostableConsumer): string {
  return `${consumer.toUpperCase()}_PORT`;
}

/**
 * envOf is the environment a hosted consumer reads its settings from: the process's, with PORT
 * taken from its own `<NAME>_PORT` (its default port when unset), never shared with the others.
 */
export function envOf(
  consumer: HostableConsumer,
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const own = { ...env, PORT: env[portVariable(consumer)] };
  if (own.PORT === undefined) delete own.PORT;
  return own;
}
