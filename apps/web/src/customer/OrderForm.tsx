import { useRef, useState } from 'preact/hooks';
import { ApiError, type Order, type Product } from '../api.js';
import { formatMoney, newTraceparent, randomId } from '../format.js';
import { placeOrder, type OrderDraft } from './place-order.js';

interface Props {
  products: Product[];
  customerId: string;
  onPlaced: (order: Order) => void;
}

/**
 * OrderForm picks quantities and places the order. One Idempotency-Key belongs to one draft until
 * the server answers for it: a double click sends nothing twice, and a retry after a lost answer
 * reuses the key, so it can only find the order already taken.
 */
export function OrderForm({ products, customerId, onPlaced }: Props) {
  const [quantities, setQuantities] = useState<Record<string, number>>({});
  const [placing, setPlacing] = useState(false);
  const [notice, setNotice] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const inFlight = useRef(false);
  const attempt = useRef<{ idempotencyKey: string; traceparent: string; body: string } | undefined>(undefined);

  const items = products
    .map((p) => ({ sku: p.sku, quantity: quantities[p.sku] ?? 0 }))
    .filter((item) => item.quantity > 0);
  const totalCents = items.reduce(
    (sum, item) => sum + item.quantity * (products.find((p) => p.sku === item.sku)?.priceCents ?? 0),
    0,
  );

  const submit = async (event: Event) => {
    event.preventDefault();
    if (inFlight.current || items.length === 0) return;
    inFlight.current = true;
    setPlacing(true);
    setError(undefined);
    const draft: OrderDraft = { customerId, items };
    const body = JSON.stringify(draft);
    if (attempt.current?.body !== body) {
      attempt.current = { idempotencyKey: randomId(), traceparent: newTraceparent(), body };
    }
    try {
      const order = await placeOrder(draft, attempt.current, (n, why) =>
        setNotice(`Retrying (${n}) with the same order key: ${why}`),
      );
      attempt.current = undefined;
      setQuantities({});
      onPlaced(order);
    } catch (failure) {
      const apiError = failure instanceof ApiError ? failure : undefined;
      // Unanswered, the order may exist: the key is kept, so trying again cannot order twice.
      if (apiError?.status !== 0) attempt.current = undefined;
      setError(apiError ? `${apiError.message} (${apiError.code})` : String(failure));
    } finally {
      inFlight.current = false;
      setPlacing(false);
      setNotice(undefined);
    }
  };

  return (
    <form class="order-form" onSubmit={(event) => void submit(event)} aria-label="New order">
      <h2>New order</h2>
      <table class="products">
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Price</th>
            <th scope="col">Quantity</th>
          </tr>
        </thead>
        <tbody>
          {products.map((product) => (
            <tr key={product.sku}>
              <th scope="row">
                <label for={`qty-${product.sku}`}>{product.name}</label>
                <div class="sku">{product.sku}</div>
              </th>
              <td>{formatMoney(product.priceCents)}</td>
              <td>
                <input
                  id={`qty-${product.sku}`}
                  data-sku={product.sku}
                  type="number"
                  inputMode="numeric"
                  min={0}
                  max={1000}
                  value={quantities[product.sku] ?? 0}
                  onInput={(event) => {
                    const value = Math.max(0, Math.min(1000, Math.floor(Number(event.currentTarget.value) || 0)));
                    setQuantities((current) => ({ ...current, [product.sku]: value }));
                  }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>Total {formatMoney(totalCents)}</p>
      <button type="submit" disabled={placing || items.length === 0}>
        {placing ? 'Placing…' : 'Place order'}
      </button>
      {notice ? <p role="status">{notice}</p> : null}
      {error ? (
        <p role="alert" class="error">
          Not placed: {error}
        </p>
      ) : null}
    </form>
  );
}
