import { useState } from 'preact/hooks';
import type { OpsClient, ReportEntry } from './ops-api.js';

/** Reports lists the latest drill and bench runs and shows a chosen run's report. */
export function Reports({ client, reports }: { client: OpsClient; reports: ReportEntry[] }) {
  const [shown, setShown] = useState<{ entry: ReportEntry; text: string } | undefined>();
  const open = async (entry: ReportEntry) => {
    const text = await client.report(entry).catch((error: unknown) => `Cannot read it: ${String(error)}`);
    setShown({ entry, text });
  };
  return (
    <section aria-labelledby="reports-heading">
      <h2 id="reports-heading">Reports</h2>
      {(['drills', 'bench'] as const).map((kind) => {
        const ofKind = reports.filter((r) => r.kind === kind);
        return (
          <div key={kind}>
            <h3>{kind === 'drills' ? 'Crash drills' : 'Bench'}</h3>
            {ofKind.length === 0 ? (
              <p>None yet{kind === 'drills' ? ' (make drill NAME=…)' : ' (make bench)'}.</p>
            ) : (
              <ul>
                {ofKind.map((entry) => (
                  <li key={entry.name}>
                    <button type="button" class="link-button" onClick={() => void open(entry)}>
                      {entry.name}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
      {shown ? (
        <article aria-label={`${shown.entry.kind} report ${shown.entry.name}`}>
          <h3>
            {shown.entry.kind}/{shown.entry.name}
          </h3>
          <pre class="report">{shown.text}</pre>
        </article>
      ) : null}
    </section>
  );
}
