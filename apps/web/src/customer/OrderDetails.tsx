import { useEffect } from 'preact/hooks';
import { traceHref, type Order, type PageConfig, type TimelineEntry } from '../api.js';
import { formatMoney, formatTime } from '../format.js';
import { useLiveOrder, type LinkState } from './live-order.js';

/** The hops of a successful order, in the order they happen. */
const hops = ['placed', 'published', 'charged', 'reserved', 'confirmed'];

const statusText: Record<Order['status'], string> = {
  PENDING: 'accepted; payment and stock are not settled yet',
  CONFIRMED: 'paid and reserved',
  CANCELLED: 'not fulfilled',
};

function amountOf(entry: TimelineEntry | undefined): number | undefined {
  const amount = entry?.detail?.amountCents;
  return typeof amount === 'number' ? amount : undefined;
}

function Money({ order }: { order: Order }) {
  const charged = order.timeline.find((e) => e.step === 'charged');
  const refunded = order.timeline.find((e) => e.step === 'refunded');
  if (order.status !== 'CANCELLED' || !charged) return null;
  const refundedCents = amountOf(refunded);
  return refunded ? (
    <p class="refund" data-testid="refund">
      Refunded {refundedCents === undefined ? '' : formatMoney(refundedCents)} at {formatTime(refunded.at)}.
    </p>
  ) : (
    <p class="refund" data-testid="refund">
      The payment was captured; its refund is not recorded yet.
    </p>
  );
}

function LinkBanner({ link }: { link: LinkState }) {
  if (link.kind === 'live') return <p class="link live">Live: changes appear as they happen.</p>;
  if (link.kind === 'connecting') return <p class="link">Connecting to live updates…</p>;
  return (
    <p class="link lost" role="alert">
      Live updates are interrupted; checking the order every 2 s instead
      {link.checkedAt ? ` (last checked ${formatTime(link.checkedAt.toISOString())})` : ''}.
    </p>
  );
}

function Timeline({ order, config }: { order: Order; config: PageConfig }) {
  const traceLink = order.traceId ? traceHref(config, order.id, order.traceId) : undefined;
  const seen = new Set(order.timeline.map((e) => e.step));
  const waiting = order.status === 'PENDING' ? hops.filter((hop) => !seen.has(hop)) : [];
  return (
    <section aria-label="Timeline">
      <h3>Timeline</h3>
      <ol class="timeline" data-testid="timeline">
        {order.timeline.map((entry, index) => (
          <li key={`${entry.step}-${index}`} data-step={entry.step}>
            <span class="step">{entry.step}</span> <time dateTime={entry.at}>{formatTime(entry.at)}</time>
          </li>
        ))}
        {waiting.map((hop) => (
          <li key={hop} class="waiting" data-step={hop}>
            <span class="step">{hop}</span> <span>not yet</span>
          </li>
        ))}
      </ol>
      {order.traceId ? (
        <p class="trace">
          Trace{' '}
          {traceLink ? (
            <a href={traceLink} target="_blank" rel="noreferrer">
              {order.traceId}
            </a>
          ) : (
            <code>{order.traceId}</code>
          )}
        </p>
      ) : null}
    </section>
  );
}

/** OrderDetails shows one order as the server last told it, and follows it live. */
export function OrderDetails(props: {
  orderId: string;
  initial?: Order;
  config: PageConfig;
  onStatus?: (status: Order['status']) => void;
}) {
  const { orderId, initial, config, onStatus } = props;
  const { order, link, missing } = useLiveOrder(orderId, initial);
  const status = order?.status;
  useEffect(() => {
    if (status) onStatus?.(status);
  }, [status]);
  if (missing) return <p role="alert">There is no order {orderId}.</p>;
  if (!order) return <p>Reading order {orderId}…</p>;
  return (
    <article class="order" aria-labelledby="order-heading">
      <h2 id="order-heading">Order {order.id.slice(0, 8)}</h2>
      <p class={`status ${order.status.toLowerCase()}`} role="status" aria-live="polite" data-testid="order-status">
        <strong data-status={order.status}>{order.status}</strong> <span>{statusText[order.status]}</span>
        {order.status === 'CANCELLED' && order.reason ? (
          <span class="reason" data-testid="order-reason">
            : {order.reason}
          </span>
        ) : null}
      </p>
      <Money order={order} />
      <LinkBanner link={link} />
      <ul class="lines">
        {order.items.map((line) => (
          <li key={line.sku}>
            {line.quantity} × {line.sku} at {formatMoney(line.priceCents)}
          </li>
        ))}
      </ul>
      <p>Total {formatMoney(order.totalCents)}</p>
      <Timeline order={order} config={config} />
    </article>
  );
}
