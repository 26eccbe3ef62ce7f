import { TransientError } from '@surety/contracts';

export interface Charge {
  id: string;
  amountCents: number;
  status: 'captured' | 'declined' | 'refunded';
  declineReason?: string;
}

export interface Reservation {
  status: 'pending' | 'reserved' | 'rejected' | 'voided' | 'released';
  items: { sku: string; quantity: number }[];
  reason: string | null;
}

async function getJson<T>(url: URL, timeoutMs: number): Promise<T | undefined> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new TransientError(`${url.origin} unreachable`, { cause: error });
  }
  if (response.status === 404) return undefined;
  if (!response.ok) throw new TransientError(`${url.origin} answered ${response.status}`);
  return (await response.json()) as T;
}

/**
 * Authorities answers what the systems of record decided for an order: the gateway for money
 * (its charge under the order's idempotency key), inventory for stock.
 */
export class Authorities {
  constructor(
    private readonly gatewayUrl: string,
    private readonly inventoryUrl: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async chargeOf(orderId: string): Promise<Charge | undefined> {
    const url = new URL('/charges', this.gatewayUrl);
    url.searchParams.set('orderId', orderId);
    const charges = (await getJson<Charge[]>(url, this.timeoutMs)) ?? [];
    return charges.at(-1);
  }

  async reservationOf(orderId: string): Promise<Reservation | undefined> {
    return getJson<Reservation>(new URL(`/reservations/${orderId}`, this.inventoryUrl), this.timeoutMs);
  }
}
