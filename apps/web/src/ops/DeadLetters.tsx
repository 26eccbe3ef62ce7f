import { useState } from 'preact/hooks';
import type { DeadLetter, OpsClient } from './ops-api.js';

/**
 * DeadLetters lists every dead letter with why it failed. A replay is two steps: a dry run says
 * what would happen, and only then may the replay itself be sent.
 */
export function DeadLetters({
  client,
  letters,
  onChanged,
}: {
  client: OpsClient;
  letters: DeadLetter[];
  onChanged: () => void;
}) {
  const [checked, setChecked] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string | undefined>();

  const act = async (letter: DeadLetter, dryRun: boolean) => {
    setBusy(letter.messageId);
    try {
      const answer = await client.replay(letter.messageId, dryRun);
      const action = answer.actions[0];
      const outcome = !action
        ? 'no longer in the dead-letter queue'
        : action.refused
          ? `refused: ${action.refused}`
          : dryRun
            ? `dry run: would send it back to ${action.letter.queue}`
            : `replayed to ${action.letter.queue}`;
      setChecked((current) => ({ ...current, [letter.messageId]: outcome }));
      if (!dryRun) onChanged();
    } catch (error) {
      setChecked((current) => ({ ...current, [letter.messageId]: `failed: ${String(error)}` }));
    } finally {
      setBusy(undefined);
    }
  };

  if (letters.length === 0) return <p data-testid="dlq-empty">No dead letters.</p>;
  return (
    <table class="dead-letters" data-testid="dlq">
      <thead>
        <tr>
          <th scope="col">Message</th>
          <th scope="col">Queue</th>
          <th scope="col">Reason</th>
          <th scope="col">Attempts</th>
          <th scope="col">Replays</th>
          <th scope="col">Replay</th>
        </tr>
      </thead>
      <tbody>
        {letters.map((letter) => {
          const outcome = checked[letter.messageId];
          const dryRunDone = outcome?.startsWith('dry run') ?? false;
          return (
            <tr key={`${letter.deadLetterQueue}-${letter.messageId}`} data-message-id={letter.messageId}>
              <td>
                <code>{letter.messageId}</code>
                <div class="sku">{letter.type}</div>
              </td>
              <td>{letter.queue}</td>
              <td>
                {letter.errorClass}: {letter.reason}
              </td>
              <td>{letter.attempts}</td>
              <td>{letter.replays}</td>
              <td>
                <button type="button" disabled={busy !== undefined} onClick={() => void act(letter, true)}>
                  Dry run
                </button>{' '}
                <button
                  type="button"
                  disabled={busy !== undefined || !dryRunDone}
                  onClick={() => void act(letter, false)}
                >
                  Replay
                </button>
                {outcome ? (
                  <div role="status" class="outcome">
                    {outcome}
                  </div>
                ) : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
