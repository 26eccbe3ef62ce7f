import { useEffect, useState } from 'preact/hooks';
import { getJson, type OrderSummary } from '../api.js';
import { formatMoney, formatTime } from '../format.js';

interface Props {
  customerId: string;
  selected: string | undefined;
  /** Changes whenever the list may be out of date. */
  refreshKey: unknown;
  onSelect: (orderId: string) => void;
}

/** MyOrders lists the customer's orders as the primary has them, newest first. */
export function MyOrders({ customerId, selected, refreshKey, onSelect }: Props) {
  const [orders, setOrders] = useState<OrderSummary[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let current = true;
    getJson<OrderSummary[]>(`/orders?customerId=${encodeURIComponent(customerId)}&limit=20`).then(
      (list) => {
        if (!current) return;
        setOrders(list);
        setError(undefined);
      },
      (failure: unknown) => {
        if (current) setError(String(failure));
      },
    );
    return () => {
      current = false;
    };
  }, [customerId, refreshKey]);

  return (
    <section aria-labelledby="my-orders-heading" class="my-orders">
      <h2 id="my-orders-heading">My orders</h2>
      {error ? <p role="alert">Cannot read your orders: {error}</p> : null}
      {orders?.length === 0 ? <p>None yet.</p> : null}
      <ul data-testid="my-orders">
        {orders?.map((order) => (
          <li key={order.id}>
            <button
              type="button"
              class="link-button"
              aria-current={order.id === selected ? 'true' : undefined}
              data-order-id={order.id}
              onClick={() => onSelect(order.id)}
            >
              <span class={`badge ${order.status.toLowerCase()}`}>{order.status}</span> {order.id.slice(0, 8)} ·{' '}
              {formatMoney(order.totalCents)} · {formatTime(order.createdAt)}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
