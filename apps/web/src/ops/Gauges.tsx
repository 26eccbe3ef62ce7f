import type { GaugeReading, Gauges as GaugesAnswer } from './ops-api.js';

const width = 320;
const height = 110;
const pad = { left: 44, right: 8, top: 8, bottom: 18 };
const colours = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2'];

function format(value: number, unit: GaugeReading['unit']): string {
  if (unit === 'bytes') {
    if (value >= 1024 ** 2) return `${(value / 1024 ** 2).toFixed(1)} MiB`;
    if (value >= 1024) return `${(value / 1024).toFixed(1)} kiB`;
    return `${Math.round(value)} B`;
  }
  if (unit === 'seconds') return value >= 1 ? `${value.toFixed(2)} s` : `${Math.round(value * 1000)} ms`;
  return String(Math.round(value));
}

function span(seconds: number): string {
  return seconds >= 120 ? `−${Math.round(seconds / 60)} min` : `−${Math.round(seconds)} s`;
}

/**
 * Chart draws one gauge's series, on a scale from 0 to its largest value, over the window or, for a
 * pipeline younger than that, since its first point.
 */
function Chart({ gauge, window, to }: { gauge: GaugeReading; window: number; to: number }) {
  const firsts = gauge.series.flatMap((s) => (s.points[0] ? [s.points[0][0]] : []));
  const from = firsts.length > 0 ? Math.max(to - window, Math.min(...firsts) - 15) : to - window;
  const top = Math.max(...gauge.series.flatMap((s) => s.points.map(([, v]) => v)), gauge.unit === 'seconds' ? 0.1 : 1);
  const x = (at: number) => pad.left + ((at - from) / Math.max(1, to - from)) * (width - pad.left - pad.right);
  const y = (value: number) => pad.top + (1 - value / top) * (height - pad.top - pad.bottom);
  return (
    <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={gauge.title} class="gauge-chart">
      <line x1={pad.left} y1={y(0)} x2={width - pad.right} y2={y(0)} class="axis" />
      <line x1={pad.left} y1={y(top)} x2={width - pad.right} y2={y(top)} class="grid" />
      <text x={pad.left - 4} y={y(top) + 4} text-anchor="end" class="tick">
        {format(top, gauge.unit)}
      </text>
      <text x={pad.left - 4} y={y(0)} text-anchor="end" class="tick">
        0
      </text>
      <text x={pad.left} y={height - 4} class="tick">
        {span(to - from)}
      </text>
      <text x={width - pad.right} y={height - 4} text-anchor="end" class="tick">
        now
      </text>
      {gauge.series.map((series, index) => {
        const colour = colours[index % colours.length];
        const last = series.points.at(-1);
        return (
          <g key={series.label}>
            <polyline
              fill="none"
              stroke={colour}
              stroke-width="1.5"
              points={series.points.map(([at, value]) => `${x(at).toFixed(1)},${y(value).toFixed(1)}`).join(' ')}
            />
            {/* The latest value, visible even while a series has a single point. */}
            {last ? <circle cx={x(last[0])} cy={y(last[1])} r="2.5" fill={colour} /> : null}
          </g>
        );
      })}
    </svg>
  );
}

/** Gauges shows the runbook's four gauges as charts, each linked to the runbook's triage of it. */
export function Gauges({ answer, runbookUrl }: { answer: GaugesAnswer; runbookUrl: string }) {
  return (
    <section aria-labelledby="gauges-heading" data-testid="gauges">
      <h2 id="gauges-heading">The four gauges, last 15 minutes</h2>
      {answer.problem ? <p class="warn">{answer.problem}</p> : null}
      <div class="gauges">
        {answer.gauges.map((gauge) => {
          const latest = gauge.series.map((s) => ({ label: s.label, value: s.points.at(-1)?.[1] }));
          return (
            <figure key={gauge.runbook} class="gauge" data-gauge={gauge.runbook}>
              <figcaption>
                <strong>{gauge.title}</strong>{' '}
                <a href={`${runbookUrl}#${gauge.runbook}`} title={gauge.query}>
                  runbook
                </a>
              </figcaption>
              <Chart gauge={gauge} window={answer.to - answer.from} to={answer.to} />
              <ul class="legend">
                {latest.length === 0 ? <li>no data</li> : null}
                {latest.map(({ label, value }, index) => (
                  <li key={label}>
                    <span class="swatch" style={{ background: colours[index % colours.length] }} /> {label}:{' '}
                    {value === undefined ? '—' : format(value, gauge.unit)}
                  </li>
                ))}
              </ul>
            </figure>
          );
        })}
      </div>
    </section>
  );
}
