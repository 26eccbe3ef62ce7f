import { afterAll, beforeAll, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Socket } from 'node:net';
import { coalesceFrameWrites } from '@surety/messaging';
import { createTestVhost } from './support/isolation.js';

/** A connection's burst of frames leaves in one socket write, not one write per frame. */
let vhost: Awaited<ReturnType<typeof createTestVhost>>;

beforeAll(async () => {
  vhost = await createTestVhost();
});
afterAll(async () => {
  await vhost.drop();
});

async function socketWritesFor50Publishes(coalesce: boolean): Promise<number> {
  const model = await amqp.connect(vhost.amqpUrl);
  try {
    if (coalesce) expect(coalesceFrameWrites(model)).toBe(true);
    const channel = await model.createConfirmChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    type Write = (this: Socket, ...args: unknown[]) => unknown;
    const socket = (model.connection as unknown as { stream: Socket & Record<'_write' | '_writev', Write> }).stream;
    let writes = 0;
    for (const name of ['_write', '_writev'] as const) {
      const original = socket[name].bind(socket);
      socket[name] = (...args: unknown[]) => {
        writes += 1;
        return original(...args);
      };
    }
    for (let i = 0; i < 50; i++) channel.sendToQueue(queue, Buffer.from(`{"n":${i}}`), { persistent: true });
    await channel.waitForConfirms();
    return writes;
  } finally {
    await model.close();
  }
}

it('sends a burst of publishes in one socket write', async () => {
  expect(await socketWritesFor50Publishes(false)).toBeGreaterThanOrEqual(50);
  expect(await socketWritesFor50Publishes(true)).toBeLessThanOrEqual(2);
});
