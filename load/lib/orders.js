// The traffic every script sends, and the settings they share (all from __ENV, with defaults).
//
// Traffic mix: each iteration places one order, POST /orders with its own Idempotency-Key, one to
// three lines drawn from the six SKUs stocked in abundance, for one of CUSTOMERS customers (spread
// so the api's per-customer rate limit is not what is measured; ids are CUSTOMER_PREFIX-n). READ_SHARE of the iterations then
// read the order back with GET /orders/:id, as a customer's page would.
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';

// Refusals at the door (503 load shedding, 429 rate limit, both with Retry-After), counted apart
// from other failures: a careful client retries them with the same Idempotency-Key.
const shed = new Counter('orders_shed');

export const apiUrl = __ENV.API_URL || 'http://127.0.0.1:8080';
export const orderPath = __ENV.ORDER_PATH || '/orders';
const customers = Number(__ENV.CUSTOMERS || 5000);
const customerPrefix = __ENV.CUSTOMER_PREFIX || 'k6';
const readShare = Number(__ENV.READ_SHARE || 0.1);
const skus = ['TEA-GREEN', 'TEA-BLACK', 'MUG-WHITE', 'KETTLE-1', 'FILTER-50', 'TIN-SMALL'];

/** thresholds are the pass marks every script shares: error rate and p95/p99 of POST /orders. */
export function thresholds() {
  return {
    'http_req_failed{name:POST /orders}': [`rate<${__ENV.MAX_ERROR_RATE || 0.01}`],
    'http_req_duration{name:POST /orders}': [`p(95)<${__ENV.P95_MS || 500}`, `p(99)<${__ENV.P99_MS || 1000}`],
  };
}

export const summaryTrendStats = ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'];

function orderBody() {
  const lines = 1 + Math.floor(Math.random() * 3);
  const start = Math.floor(Math.random() * skus.length);
  const items = [];
  for (let i = 0; i < lines; i++) {
    items.push({ sku: skus[(start + i) % skus.length], quantity: 1 + Math.floor(Math.random() * 2) });
  }
  return JSON.stringify({ customerId: `${customerPrefix}-${Math.floor(Math.random() * customers)}`, items });
}

/** placeOrder sends one order and, for READ_SHARE of them, reads it back. */
export function placeOrder() {
  const response = http.post(`${apiUrl}${orderPath}`, orderBody(), {
    headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    tags: { name: 'POST /orders' },
    timeout: __ENV.REQUEST_TIMEOUT || '30s',
  });
  const accepted = check(response, { 'order accepted (2xx)': (r) => r.status >= 200 && r.status < 300 });
  if (response.status === 503 || response.status === 429) shed.add(1);
  if (accepted && Math.random() < readShare) {
    const id = response.json('id');
    if (id) http.get(`${apiUrl}/orders/${id}`, { tags: { name: 'GET /orders/:id' } });
  }
}
