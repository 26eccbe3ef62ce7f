/**
 * An order's trace as Jaeger's query API returns it (`GET /api/traces/{traceId}`), laid out as a
 * waterfall: one row per span, children under their parent, each with its offset from the
 * trace's start and its duration. The CLI prints it; the api renders it for the customer page.
 */

/** The parts of Jaeger's trace JSON (its query API, not OTLP) a waterfall is made of. */
export interface JaegerTrace {
  traceID: string;
  spans: {
    spanID: string;
    operationName: string;
    references?: { refType: string; spanID: string }[];
    /** Microseconds since the epoch. */
    startTime: number;
    /** Microseconds. */
    duration: number;
    processID: string;
    tags?: { key: string; value: unknown }[];
  }[];
  processes: Record<string, { serviceName: string }>;
}

export interface WaterfallRow {
  depth: number;
  service: string;
  name: string;
  offsetMs: number;
  durationMs: number;
  error: boolean;
}

export interface Waterfall {
  traceId: string;
  startedAt: Date;
  durationMs: number;
  rows: WaterfallRow[];
  services: string[];
}

export class TraceNotFoundError extends Error {
  readonly code = 'SURETY_ERR_TRACE_NOT_FOUND';
}

/** readJaegerTrace fetches one trace from Jaeger's query API; a trace it does not hold is TraceNotFoundError. */
export async function readJaegerTrace(queryUrl: string, traceId: string, signal?: AbortSignal): Promise<JaegerTrace> {
  const url = new URL(`api/traces/${encodeURIComponent(traceId)}`, queryUrl.endsWith('/') ? queryUrl : `${queryUrl}/`);
  const response = await fetch(url, { headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) });
  if (response.status === 404) throw new TraceNotFoundError(`Jaeger at ${queryUrl} holds no trace ${traceId}`);
  if (!response.ok) throw new Error(`Jaeger at ${queryUrl} answered ${response.status} for trace ${traceId}`);
  const body = (await response.json()) as { data?: JaegerTrace[] | null };
  const trace = body.data?.[0];
  if (!trace || trace.spans.length === 0)
    throw new TraceNotFoundError(`Jaeger at ${queryUrl} holds no trace ${traceId}`);
  return trace;
}

function isError(span: JaegerTrace['spans'][number]): boolean {
  return (span.tags ?? []).some(
    (tag) => (tag.key === 'error' && tag.value === true) || (tag.key === 'otel.status_code' && tag.value === 'ERROR'),
  );
}

/**
 * toWaterfall orders a trace's spans depth first, each parent before its children and siblings by
 * start time. A span whose parent is missing (not exported, or not arrived yet) starts a root.
 */
export function toWaterfall(trace: JaegerTrace): Waterfall {
  const ids = new Set(trace.spans.map((span) => span.spanID));
  const children = new Map<string | undefined, JaegerTrace['spans']>();
  for (const span of trace.spans) {
    const parent = span.references?.find((ref) => ref.refType === 'CHILD_OF' && ids.has(ref.spanID))?.spanID;
    const siblings = children.get(parent) ?? [];
    siblings.push(span);
    children.set(parent, siblings);
  }
  const start = Math.min(...trace.spans.map((span) => span.startTime));
  const end = Math.max(...trace.spans.map((span) => span.startTime + span.duration));
  const rows: WaterfallRow[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    const spans = [...(children.get(parent) ?? [])].sort((a, b) => a.startTime - b.startTime);
    for (const span of spans) {
      rows.push({
        depth,
        service: trace.processes[span.processID]?.serviceName ?? span.processID,
        name: span.operationName,
        offsetMs: (span.startTime - start) / 1000,
        durationMs: span.duration / 1000,
        error: isError(span),
      });
      visit(span.spanID, depth + 1);
    }
  };
  visit(undefined, 0);
  return {
    traceId: trace.traceID,
    startedAt: new Date(start / 1000),
    durationMs: (end - start) / 1000,
    rows,
    services: [...new Set(rows.map((row) => row.service))],
  };
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

/** The bar of one row: where the span sits in the trace, `width` characters for the whole trace. */
export function barOf(row: WaterfallRow, totalMs: number, width: number): string {
  const scale = totalMs > 0 ? width / totalMs : 0;
  const from = Math.min(width - 1, Math.floor(row.offsetMs * scale));
  const length = Math.max(1, Math.min(width - from, Math.round(row.durationMs * scale)));
  return `${' '.repeat(from)}${(row.error ? '!' : '█').repeat(length)}${' '.repeat(width - from - length)}`;
}

/** renderWaterfall prints a waterfall as text: offset, bar, duration, service and indented span name. */
export function renderWaterfall(waterfall: Waterfall, width = 40): string {
  const serviceWidth = Math.max(...waterfall.services.map((s) => s.length), 7);
  const lines = [
    `trace ${waterfall.traceId}: ${waterfall.rows.length} spans over ${ms(waterfall.durationMs)} ms from ${waterfall.startedAt.toISOString()} (${waterfall.services.join(', ')})`,
    `${'start ms'.padStart(9)}  ${'timeline'.padEnd(width)}  ${'ms'.padStart(7)}  ${'service'.padEnd(serviceWidth)}  span`,
  ];
  for (const row of waterfall.rows) {
    lines.push(
      `${ms(row.offsetMs).padStart(9)}  ${barOf(row, waterfall.durationMs, width)}  ${ms(row.durationMs).padStart(7)}  ${row.service.padEnd(serviceWidth)}  ${'  '.repeat(row.depth)}${row.name}${row.error ? '  (error)' : ''}`,
    );
  }
  return lines.join('\n');
}
