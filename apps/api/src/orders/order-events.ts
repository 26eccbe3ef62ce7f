import type { ServerResponse } from 'node:http';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '@surety/db';
import type { OrderChanges } from './order-changes.js';
import { getOrder } from './order-queries.js';
import { refusals } from '../errors.js';
import { NoQuery } from './schemas.js';
import type { OrderView } from './schemas.js';

export interface OrderEventRoutesOptions {
  pool: Pool;
  changes: OrderChanges;
  /** How often an idle stream sends a comment, so proxies and browsers keep it open. */
  heartbeatMs: number;
}

/**
 * orderVersion is an order's position in its own story: the number of timeline entries. Every
 * status change writes one, entries are only ever added, so it grows with every change and is
 * derived from stored state alone: a client resuming with Last-Event-ID gets the current snapshot
 * if anything happened since, whatever it missed while away.
 */
export function orderVersion(order: OrderView): number {
  return order.timeline.length;
}

/** parseLastEventId reads the Last-Event-ID header; anything but a non-negative integer means none. */
export function parseLastEventId(header: string | undefined): number {
  return header !== undefined && /^\d{1,9}$/.test(header.trim()) ? Number(header.trim()) : -1;
}

function writeEvent(raw: ServerResponse, order: OrderView): void {
  raw.write(`id: ${orderVersion(order)}\nevent: order\ndata: ${JSON.stringify(order)}\n\n`);
}

/**
 * A reader that never overlaps itself and never loses a change: a change arriving during a read
 * causes one more read after it, however many arrive.
 */
function coalescingReader(read: () => Promise<void>) {
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await read();
      } while (again);
    } finally {
      running = false;
    }
  };
  return run;
}

/**
 * orderEventRoutes streams an order as Server-Sent Events: one `order` event carrying the whole
 * order each time its story moves on (fed by the orders schema's NOTIFY through the process's one
 * listening connection), heartbeat comments while idle, and resume by Last-Event-ID.
 */
export const orderEventRoutes: FastifyPluginAsyncTypebox<OrderEventRoutesOptions> = async (app, options) => {
  const { pool, changes, heartbeatMs } = options;
  const openStreams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const raw of openStreams) raw.end();
  });

  app.get(
    '/orders/:id/events',
    {
      schema: {
        tags: ['orders'],
        summary: 'The order live, as Server-Sent Events: an `order` event per change, id = timeline length.',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String()) }),
        querystring: NoQuery,
        response: {
          200: {
            description: 'The stream: `event: order`, `id:` the timeline length, `data:` the order as JSON.',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...refusals(400, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const orderId = request.params.id;
      const first = await getOrder(pool, orderId);
      if (!first) return reply.code(404).send({ error: 'order_not_found', message: `no order ${orderId}` });

      const lastEventId = parseLastEventId(request.headers['last-event-id']);
      // An id from the future (another database, a hand-made header) cannot be trusted: start over.
      let sentVersion = lastEventId > orderVersion(first) ? -1 : lastEventId;
      const raw = reply.raw;
      const sendIfNewer = (order: OrderView | undefined) => {
        if (!order || raw.writableEnded || orderVersion(order) <= sentVersion) return;
        sentVersion = orderVersion(order);
        writeEvent(raw, order);
      };
      const refresh = coalescingReader(async () => {
        try {
          sendIfNewer(await getOrder(pool, orderId));
        } catch (error) {
          request.log.warn({ err: error, orderId }, 'cannot read order for its live view; waiting for the next change');
        }
      });

      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 2000\n\n');
      openStreams.add(raw);
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), heartbeatMs);
      const unsubscribe = await changes.subscribe(orderId, () => void refresh());
      const closed = () => {
        clearInterval(heartbeat);
        unsubscribe();
        openStreams.delete(raw);
      };
      if (raw.destroyed) return closed();
      raw.on('close', closed);
      sendIfNewer(first);
      // A change committed between the first read and the subscription would otherwise go unseen.
      void refresh();
    },
  );
};
