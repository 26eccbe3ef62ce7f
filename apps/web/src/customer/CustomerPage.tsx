import { useEffect, useState } from 'preact/hooks';
import { getJson, type Order, type PageConfig, type Product } from '../api.js';
import { randomId } from '../format.js';
import { MyOrders } from './MyOrders.js';
import { OrderDetails } from './OrderDetails.js';
import { OrderForm } from './OrderForm.js';

const customerKey = 'surety.customerId';

function storedCustomerId(): string {
  const stored = localStorage.getItem(customerKey);
  if (stored) return stored;
  const created = `customer-${randomId().slice(0, 8)}`;
  localStorage.setItem(customerKey, created);
  return created;
}

/** The order shown is in the address (`?order=<id>`), so a reload shows the same order. */
function orderInAddress(): string | undefined {
  return new URLSearchParams(location.search).get('order') ?? undefined;
}

function showInAddress(orderId: string): void {
  const url = new URL(location.href);
  url.searchParams.set('order', orderId);
  history.replaceState(null, '', url);
}

/** CustomerPage: order, see it PENDING at once, then watch it become what it really is. */
export function CustomerPage({ config }: { config: PageConfig }) {
  const [customerId, setCustomerId] = useState(storedCustomerId);
  const [products, setProducts] = useState<Product[]>([]);
  const [loadError, setLoadError] = useState<string | undefined>();
  const [selected, setSelected] = useState<{ id: string; initial?: Order } | undefined>(() => {
    const id = orderInAddress();
    return id ? { id } : undefined;
  });
  // Bumped whenever the list of orders may have changed: one placed, or the one shown moved on.
  const [changes, setChanges] = useState(0);

  useEffect(() => {
    getJson<Product[]>('/products').then(setProducts, (error: unknown) => setLoadError(String(error)));
  }, []);

  const select = (id: string, initial?: Order) => {
    setSelected({ id, ...(initial ? { initial } : {}) });
    showInAddress(id);
  };

  return (
    <main class="customer">
      <header>
        <h1>Surety tea shop</h1>
        <label class="customer-id">
          Customer{' '}
          <input
            name="customerId"
            value={customerId}
            maxLength={128}
            onChange={(event) => {
              const value = event.currentTarget.value.trim();
              if (!value) return;
              localStorage.setItem(customerKey, value);
              setCustomerId(value);
            }}
          />
        </label>
      </header>
      {loadError ? <p role="alert">Cannot read the catalogue: {loadError}</p> : null}
      <div class="columns">
        <OrderForm
          products={products}
          customerId={customerId}
          onPlaced={(order) => {
            select(order.id, order);
            setChanges((n) => n + 1);
          }}
        />
        <div>
          {selected ? (
            <OrderDetails
              key={selected.id}
              orderId={selected.id}
              config={config}
              onStatus={() => setChanges((n) => n + 1)}
              {...(selected.initial ? { initial: selected.initial } : {})}
            />
          ) : (
            <p>Place an order to follow it here.</p>
          )}
          <MyOrders
            customerId={customerId}
            selected={selected?.id}
            refreshKey={changes}
            onSelect={(id) => select(id)}
          />
        </div>
      </div>
    </main>
  );
}
