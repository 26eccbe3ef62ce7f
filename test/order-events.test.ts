import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder, startStack, type Stack } from './support/stack.js';
import { waitFor } from './support/wait.js';

let stack: Stack;

beforeAll(async () => {
  // No relay at first: the test decides when the order's story moves on.
  stack = await startStack({ without: ['relay'], env: { SSE_HEARTBEAT_MS: '200' } });
});
afterAll(async () => {
  await stack?.stop();
});

interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** openStream reads an SSE response message by message, as an EventSource would. */
async function openStream(orderId: string, lastEventId?: string) {
  const abort = new AbortController();
  const response = await fetch(`${stack.apiUrl}/orders/${orderId}/events`, {
    headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
    signal: abort.signal,
  });
  const messages: SseMessage[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message: SseMessage = {};
        for (const line of buffer.slice(0, end).split('\n')) {
          if (line.startsWith(':')) message.comment = line.slice(1).trim();
          const [field, ...rest] = line.split(': ');
          if (field === 'id' || field === 'event' || field === 'data') message[field] = rest.join(': ');
        }
        buffer = buffer.slice(end + 2);
        messages.push(message);
      }
    }
  })();
  return {
    response,
    messages,
    orders: () =>
      messages
        .filter((m) => m.event === 'order')
        .map((m) => ({ ...(JSON.parse(m.data!) as { status: string; timeline: unknown[] }), eventId: Number(m.id) })),
    close: async () => {
      abort.abort();
      await pump;
    },
  };
}

describe('GET /orders/:id/events', () => {
  it('answers 404 for an unknown order and 400 for a malformed id', async () => {
    expect((await fetch(`${stack.apiUrl}/orders/00000000-0000-4000-8000-000000000000/events`)).status).toBe(404);
    expect((await fetch(`${stack.apiUrl}/orders/not-an-id/events`)).status).toBe(400);
  });

  it('sends the order at once, heartbeats while idle, and every change until CONFIRMED', async () => {
    const placed = await placeOrder(stack.apiUrl, [{ sku: 'TEA-GREEN', quantity: 1 }]);
    const stream = await openStream(placed.body.id);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await waitFor(
      'the first event and a heartbeat',
      async () => stream.messages,
      (m) => m.some((x) => x.comment === 'heartbeat') && m.some((x) => x.event === 'order'),
    );
    expect(stream.orders()[0]).toMatchObject({ eventId: 1, status: 'PENDING' });

    await stack.start('relay');
    const orders = await waitFor(
      'CONFIRMED on the stream',
      async () => stream.orders(),
      (o) => o.some((x) => x.status === 'CONFIRMED'),
    );
    const ids = orders.map((o) => o.eventId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    for (const order of orders) expect(order.timeline.length).toBe(order.eventId);
    await stream.close();
  });

  it('resumes from Last-Event-ID with what was missed, and sends nothing already seen', async () => {
    const placed = await placeOrder(stack.apiUrl, [{ sku: 'TEA-BLACK', quantity: 1 }]);
    const settled = await waitFor(
      'the order confirmed, its every step written',
      async () =>
        (await (await fetch(`${stack.apiUrl}/orders/${placed.body.id}`)).json()) as {
          status: string;
          timeline: { step: string }[];
        },
      // `published` is written by the api's mark, which may come after the confirmation.
      (o) => o.status === 'CONFIRMED' && o.timeline.some((t) => t.step === 'published'),
    );
    const version = settled.timeline.length;

    const behind = await openStream(placed.body.id, '1');
    await waitFor(
      'the missed changes',
      async () => behind.orders(),
      (o) => o.length > 0,
    );
    expect(behind.orders()[0]).toMatchObject({ eventId: version, status: 'CONFIRMED' });
    await behind.close();

    const upToDate = await openStream(placed.body.id, String(version));
    await waitFor(
      'two heartbeats',
      async () => upToDate.messages,
      (m) => m.filter((x) => x.comment === 'heartbeat').length >= 2,
    );
    expect(upToDate.orders()).toEqual([]);
    await upToDate.close();
  });

  it('serves every open stream from one listening connection', async () => {
    const placed = await placeOrder(stack.apiUrl, [{ sku: 'MUG-WHITE', quantity: 1 }]);
    const streams = await Promise.all(Array.from({ length: 5 }, () => openStream(placed.body.id)));
    await waitFor(
      'every stream has the order',
      async () => streams.map((s) => s.orders().length),
      (n) => n.every((x) => x > 0),
    );
    const listeners = await stack.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'surety-api-listen'`,
    );
    expect(listeners.rows[0]?.n).toBe(1);
    await Promise.all(streams.map((s) => s.close()));
  });
});
