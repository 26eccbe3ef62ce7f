const hooks: (() => Promise<void>)[] = [];

/** onExit registers work that must finish before a service's process exits (flushing spans, say). */
export function onExit(hook: () => Promise<void>): void {
  hooks.push(hook);
}

/** runExitHooks runs the registered exit work, bounded so that a stuck exporter cannot hold exit. */
export async function runExitHooks(boundMs = 2_000): Promise<void> {
  const all = Promise.allSettled(hooks.map((hook) => hook()));
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, boundMs).unref())]);
}
