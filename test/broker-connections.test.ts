import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectAny } from '@surety/messaging';
import { createTestVhost } from './support/isolation.js';

describe('connectAny', () => {
  it('outlives a reset of its connection: the caller sees the failure and the process goes on', async () => {
    const vhost = await createTestVhost();
    try {
      const model = await connectAny(vhost.amqpUrl);
      const channel = await model.createChannel();
      // What a node going away mid-conversation does to the socket (a rolling restart's reset).
      const { stream } = (model as unknown as { connection: { stream: Socket } }).connection;
      stream.destroy(new Error('read ECONNRESET'));
      await expect(channel.checkQueue('anything')).rejects.toThrow(/closed|ended/i);
    } finally {
      await vhost.drop();
    }
    // Unheard, the reset's 'error' is thrown before amqplib closes the channel: the wait never ends.
  }, 20_000);
});
