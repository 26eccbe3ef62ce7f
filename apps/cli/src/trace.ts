import { parseArgs } from 'node:util';
import { defaults } from '@surety/config';
import { createPool } from '@surety/db';
import { createLogger, readJaegerTrace, renderWaterfall, toWaterfall, TraceNotFoundError } from '@surety/telemetry';

export const traceUsage = `usage: surety trace <orderId> [--wait SECONDS] [--width N]
  prints the order's trace as a waterfall, read from Jaeger's query API (JAEGER_QUERY_URL,
  default ${defaults.jaegerQueryUrl}, which make run starts); waits up to --wait seconds (default 10)
  for its spans to arrive`;

/** trace prints an order's trace, from the api's request to the gateway's charge, as a waterfall. */
export async function trace(args: string[], write: (text: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { wait: { type: 'string', default: '10' }, width: { type: 'string', default: '40' } },
  });
  const [orderId] = positionals;
  const waitMs = Number(values.wait) * 1000;
  const width = Number(values.width);
  if (
    !orderId ||
    !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(orderId) ||
    positionals.length > 1 ||
    !Number.isFinite(waitMs) ||
    waitMs < 0 ||
    !(width >= 10)
  ) {
    throw new Error(traceUsage);
  }
  const queryUrl = process.env.JAEGER_QUERY_URL ?? defaults.jaegerQueryUrl;
  const pool = createPool(process.env.DATABASE_URL ?? defaults.databaseUrl, createLogger('cli', 'warn'), { max: 1 });
  let traceId: string | null | undefined;
  try {
    const found = await pool.query<{ trace_id: string | null }>(`SELECT trace_id FROM orders.orders WHERE id = $1`, [
      orderId,
    ]);
    if (found.rows.length === 0) throw new Error(`no order ${orderId}`);
    traceId = found.rows[0]!.trace_id;
  } finally {
    await pool.end();
  }
  if (!traceId) throw new Error(`order ${orderId} was placed without a trace`);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      write(`${renderWaterfall(toWaterfall(await readJaegerTrace(queryUrl, traceId)), width)}\n`);
      return;
    } catch (error) {
      // Spans reach Jaeger in batches, a moment after the work they describe.
      if (!(error instanceof TraceNotFoundError) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
