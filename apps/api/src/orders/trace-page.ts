import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '@surety/db';
import { readJaegerTrace, renderWaterfall, toWaterfall, TraceNotFoundError } from '@surety/telemetry';

export interface TracePageOptions {
  pool: Pool;
  /** Jaeger's query API (what `make run` starts), where the order's spans are read. */
  jaegerQueryUrl: string;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => escapes[c]!);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}pre{font-size:13px;line-height:1.35;overflow-x:auto}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>\n`;
}

/**
 * tracePageRoutes renders an order's trace as a waterfall at `/orders/:id/trace`, read from Jaeger's
 * query API: the customer page links here where no Jaeger UI is deployed (locally, where Jaeger runs
 * without its UI). The page and `surety trace` print the same waterfall.
 */
export const tracePageRoutes: FastifyPluginAsyncTypebox<TracePageOptions> = async (app, { pool, jaegerQueryUrl }) => {
  app.get(
    '/orders/:id/trace',
    { schema: { hide: true, params: Type.Object({ id: Type.String({ format: 'uuid' }) }) } },
    async (request, reply) => {
      const { id } = request.params;
      const found = await pool.query<{ trace_id: string | null }>('SELECT trace_id FROM orders.orders WHERE id = $1', [
        id,
      ]);
      const traceId = found.rows[0]?.trace_id;
      void reply.type('text/html; charset=utf-8');
      if (!found.rows[0]) return reply.code(404).send(page(`No order ${id}`, '<p>There is no such order.</p>'));
      if (!traceId) return reply.code(404).send(page(`Order ${id}`, '<p>This order was placed without a trace.</p>'));
      try {
        const waterfall = toWaterfall(await readJaegerTrace(jaegerQueryUrl, traceId, AbortSignal.timeout(5_000)));
        return reply.send(
          page(
            `Order ${id.slice(0, 8)}: its trace`,
            `<pre data-testid="waterfall">${escapeHtml(renderWaterfall(waterfall, 60))}</pre>`,
          ),
        );
      } catch (error) {
        if (!(error instanceof TraceNotFoundError)) throw error;
        // Spans reach Jaeger in batches, a moment after the work they describe.
        return reply
          .code(404)
          .header('retry-after', '2')
          .send(
            page(
              `Order ${id.slice(0, 8)}: its trace`,
              `<p>Jaeger holds no spans of trace ${escapeHtml(traceId)} yet; reload in a moment.</p>`,
            ),
          );
      }
    },
  );
};
