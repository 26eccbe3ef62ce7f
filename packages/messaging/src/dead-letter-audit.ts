import type { Pool } from '@surety/db';
import type { DeadLetterAction } from './dead-letters.js';

/** auditTo records each replay and purge in ops.dlq_audit, naming who did it. */
export function auditTo(pool: Pool, actor: string): (action: DeadLetterAction) => Promise<void> {
  return async ({ action, letter }) => {
    await pool.query(
      `INSERT INTO ops.dlq_audit (actor, action, dead_letter_queue, queue, message_id, message_type, reason, replays)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        actor,
        action,
        letter.deadLetterQueue,
        letter.queue,
        letter.messageId,
        letter.type,
        letter.reason,
        letter.replays,
      ],
    );
  };
}
