import { useEffect, useState } from 'preact/hooks';
import { ApiError, type PageConfig } from '../api.js';
import { DeadLetters } from './DeadLetters.js';
import { Gauges } from './Gauges.js';
import { opsClient, type DeadLetter, type Gauges as GaugesAnswer, type Overview, type ReportEntry } from './ops-api.js';
import { Reports } from './Reports.js';

const tokenKey = 'surety.opsToken';
const refreshEveryMs = 3000;
// Prometheus scrapes every few seconds and the charts show a quarter of an hour: no need to ask often.
const gaugesEveryMs = 15_000;

function refusal(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return '401: this page needs the admin bearer token.';
  if (error instanceof ApiError && error.status === 404)
    return 'The ops view is off: start the api with ADMIN_TOKEN set.';
  return `Cannot read the pipeline: ${error instanceof Error ? error.message : String(error)}`;
}

function TokenForm({ onToken }: { onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="token-form"
      onSubmit={(event) => {
        event.preventDefault();
        onToken(value.trim());
      }}
    >
      <label>
        Admin token{' '}
        <input
          name="token"
          type="password"
          autoComplete="current-password"
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
      </label>{' '}
      <button type="submit">Show the pipeline</button>
    </form>
  );
}

function QueueTable({ overview }: { overview: Overview }) {
  return (
    <table data-testid="queues">
      <caption>Queues, read {new Date(overview.at).toLocaleTimeString(undefined, { hour12: false })}</caption>
      <thead>
        <tr>
          <th scope="col">Queue</th>
          <th scope="col">Ready</th>
          <th scope="col">Unacked</th>
          <th scope="col">Consumers (replicas)</th>
          <th scope="col">DLQ</th>
        </tr>
      </thead>
      <tbody>
        {overview.queues.map((q) => (
          <tr key={q.queue} data-queue={q.queue}>
            <th scope="row">{q.queue}</th>
            <td data-field="ready">{q.ready}</td>
            <td data-field="unacked">{q.unacked}</td>
            <td data-field="consumers">{q.consumers}</td>
            <td data-field="dlq" class={q.deadLetters > 0 ? 'warn' : undefined}>
              {q.deadLetters}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function OutboxTable({ overview }: { overview: Overview }) {
  return (
    <table data-testid="outbox">
      <caption>Outbox backlog</caption>
      <thead>
        <tr>
          <th scope="col">Schema</th>
          <th scope="col">Unpublished</th>
          <th scope="col">Oldest</th>
        </tr>
      </thead>
      <tbody>
        {overview.outbox.map((o) => (
          <tr key={o.schema}>
            <th scope="row">{o.schema}</th>
            <td>{o.unpublished}</td>
            <td>{o.unpublished > 0 ? `${o.oldestAgeSeconds.toFixed(1)} s` : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** OpsPage: the pipeline breathing, read through the api's admin routes every few seconds. */
export function OpsPage({ config }: { config: PageConfig }) {
  const [token, setToken] = useState(() => sessionStorage.getItem(tokenKey) ?? '');
  const [overview, setOverview] = useState<Overview | undefined>();
  const [letters, setLetters] = useState<DeadLetter[]>([]);
  const [reports, setReports] = useState<ReportEntry[]>([]);
  const [problem, setProblem] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  const [gauges, setGauges] = useState<GaugesAnswer | undefined>();
  const client = opsClient(token);

  useEffect(() => {
    let current = true;
    const read = () =>
      client.gauges().then(
        (answer) => current && setGauges(answer),
        () => undefined,
      );
    void read();
    const timer = setInterval(() => void read(), gaugesEveryMs);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [token]);

  useEffect(() => {
    let current = true;
    const read = async () => {
      try {
        const [nextOverview, dlq] = await Promise.all([client.overview(), client.deadLetters()]);
        if (!current) return;
        setOverview(nextOverview);
        setLetters(dlq.letters);
        setProblem(undefined);
      } catch (error) {
        if (current) setProblem(refusal(error));
      }
    };
    void read();
    const timer = setInterval(() => void read(), refreshEveryMs);
    client.reports().then(
      (answer) => current && setReports(answer.reports),
      () => undefined,
    );
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [token, tick]);

  const useToken = (next: string) => {
    sessionStorage.setItem(tokenKey, next);
    setToken(next);
  };

  return (
    <main class="ops">
      <header>
        <h1>Surety operations</h1>
        <a href="/">Customer page</a>
      </header>
      {problem ? (
        <p role="alert" class="error" data-testid="ops-problem">
          {problem}
        </p>
      ) : null}
      {problem || !token ? <TokenForm onToken={useToken} /> : null}
      {overview ? (
        <>
          {overview.queuesError ? <p role="alert">RabbitMQ: {overview.queuesError}</p> : null}
          {gauges ? <Gauges answer={gauges} runbookUrl={config.runbookUrl} /> : null}
          <QueueTable overview={overview} />
          <OutboxTable overview={overview} />
          <section aria-labelledby="dlq-heading">
            <h2 id="dlq-heading">Dead letters</h2>
            <DeadLetters client={client} letters={letters} onChanged={() => setTick((n) => n + 1)} />
          </section>
          <Reports client={client} reports={reports} />
        </>
      ) : null}
    </main>
  );
}
