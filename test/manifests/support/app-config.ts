import { loadApiConfig } from '@surety/api';
import { loadGatewayConfig } from '@surety/gateway';
import { loadInventoryConfig } from '@surety/inventory';
import { loadNotificationConfig } from '@surety/notification';
import { loadPaymentConfig } from '@surety/payment';
import { loadReconcilerConfig } from '@surety/reconciler';
import { loadRelayConfig } from '@surety/relay';
import { loadSagaConfig } from '@surety/saga';
import type { IContainer } from 'kubernetes-models/v1/Container';

type Env = Record<string, string | undefined>;

/** Each app's own config loader: the one place it reads its environment. */
export const configLoaders: Record<string, (env: Env) => object> = {
  api: loadApiConfig,
  gateway: loadGatewayConfig,
  relay: loadRelayConfig,
  payment: loadPaymentConfig,
  inventory: loadInventoryConfig,
  saga: loadSagaConfig,
  notification: loadNotificationConfig,
  reconciler: loadReconcilerConfig,
};

/** What a secret reference stands for when the config is loaded here (valid for any variable that takes a URL or a token). */
const secretStandIn = 'postgres://secret-stand-in@host.invalid/surety';

/** envOf turns a container's env list into what the process would see, secrets replaced by a stand-in. */
export function envOf(container: IContainer): Env {
  return Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value ?? secretStandIn]));
}

/**
 * variablesIgnored lists the variables of `env` that the app does not read: changing one changes
 * nothing in the config its loader returns (a variable it reads either changes it or is refused).
 */
export function variablesIgnored(load: (env: Env) => object, env: Env): string[] {
  const baseline = JSON.stringify(load(env));
  return Object.keys(env).filter((name) => {
    // The OpenTelemetry SDK reads OTEL_* itself, by its standard (packages/telemetry/src/tracing.ts).
    if (name.startsWith('OTEL_')) return false;
    try {
      return JSON.stringify(load({ ...env, [name]: `${env[name]}9` })) === baseline;
    } catch {
      return false;
    }
  });
}
