export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED';

export interface TimelineEntry {
  step: string;
  at: string;
  detail?: Record<string, unknown>;
}

export interface OrderLine {
  sku: string;
  quantity: number;
  priceCents: number;
}

export interface OrderSummary {
  id: string;
  customerId: string;
  status: OrderStatus;
  reason?: string;
  items: OrderLine[];
  totalCents: number;
  createdAt: string;
  updatedAt: string;
}

export interface Order extends OrderSummary {
  timeline: TimelineEntry[];
  traceId?: string;
}

export interface Product {
  sku: string;
  name: string;
  priceCents: number;
  available: boolean;
}

export interface PageConfig {
  /** Jaeger's UI, where a cluster deploys it: trace links open there. */
  jaegerUiUrl: string | null;
  /** Without a UI, the api renders an order's trace itself at /orders/:id/trace. */
  traceWaterfall: boolean;
  /** The runbook the ops page's gauges link to, a section anchor appended. */
  runbookUrl: string;
}

/** traceHref is where an order's trace can be read, if anywhere. */
export function traceHref(config: PageConfig, orderId: string, traceId: string): string | undefined {
  if (config.jaegerUiUrl) return `${config.jaegerUiUrl.replace(/\/$/, '')}/trace/${traceId}`;
  return config.traceWaterfall ? `/orders/${orderId}/trace` : undefined;
}

/** ApiError is an answer other than 2xx, with the API's stable code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** getJson fetches a JSON resource, turning a non-2xx answer into an ApiError. */
export async function getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  if (!response.ok) throw await apiErrorOf(response);
  return (await response.json()) as T;
}

/** apiErrorOf reads an error answer's `{ error, message }`, or names the status when it has none. */
export async function apiErrorOf(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => ({}))) as { error?: string; message?: string };
  const retryAfter = Number(response.headers.get('retry-after'));
  return new ApiError(
    response.status,
    body.error ?? `http_${response.status}`,
    body.message ?? response.statusText,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}
