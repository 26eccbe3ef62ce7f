import { useEffect, useState } from 'preact/hooks';
import { getJson, type Order } from '../api.js';

/** How the page learns about an order: a live stream, or reads every few seconds while it is down. */
export type LinkState = { kind: 'connecting' } | { kind: 'live' } | { kind: 'polling'; checkedAt?: Date };

const pollEveryMs = 2000;
const reopenAfterMs = 5000;

/** newer keeps whichever view of the order is further along its timeline: reads may cross events. */
function newer(current: Order | undefined, next: Order): Order {
  return !current || next.timeline.length >= current.timeline.length ? next : current;
}

/**
 * useLiveOrder follows one order over Server-Sent Events (the browser resumes with Last-Event-ID
 * by itself). While the stream is down it says so and reads the order every two seconds instead,
 * so what is shown is always something the server said.
 */
export function useLiveOrder(orderId: string, initial: Order | undefined) {
  const [order, setOrder] = useState<Order | undefined>(initial);
  const [link, setLink] = useState<LinkState>({ kind: 'connecting' });
  const [missing, setMissing] = useState(false);

  useEffect(() => {
    let closed = false;
    let source: EventSource | undefined;
    let pollTimer: ReturnType<typeof setTimeout> | undefined;
    let reopenTimer: ReturnType<typeof setTimeout> | undefined;

    const poll = async () => {
      clearTimeout(pollTimer);
      try {
        const read = await getJson<Order>(`/orders/${orderId}`);
        if (closed) return;
        setOrder((current) => newer(current, read));
        setLink((state) => (state.kind === 'polling' ? { kind: 'polling', checkedAt: new Date() } : state));
      } catch (error) {
        if ((error as { status?: number }).status === 404) setMissing(true);
      }
      if (!closed && source?.readyState !== EventSource.OPEN) pollTimer = setTimeout(() => void poll(), pollEveryMs);
    };

    const open = () => {
      const stream = new EventSource(`/orders/${orderId}/events`);
      source = stream;
      stream.addEventListener('order', (event) => {
        setOrder((current) => newer(current, JSON.parse((event as MessageEvent<string>).data) as Order));
      });
      stream.onopen = () => {
        clearTimeout(pollTimer);
        setLink({ kind: 'live' });
      };
      stream.onerror = () => {
        if (closed) return;
        setLink((state) => (state.kind === 'polling' ? state : { kind: 'polling' }));
        void poll();
        // The browser retries a dropped stream itself; one it gave up on is opened again later.
        if (stream.readyState === EventSource.CLOSED) reopenTimer = setTimeout(open, reopenAfterMs);
      };
    };

    if (!initial) void poll();
    open();
    return () => {
      closed = true;
      source?.close();
      clearTimeout(pollTimer);
      clearTimeout(reopenTimer);
    };
    // The initial order only seeds the state; another order is another component (keyed by id).
  }, [orderId]);

  return { order, link, missing };
}
