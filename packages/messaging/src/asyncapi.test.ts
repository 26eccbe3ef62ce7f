import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { eventPayloads } from '@surety/contracts';
import { asyncApiDocument } from './asyncapi.js';
import { queues } from './topology.js';

describe('the AsyncAPI document', () => {
  it('is valid AsyncAPI 3, by the AsyncAPI parser', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(asyncApiDocument()));
    // Severity 0 is an error; warnings (a newer AsyncAPI exists) do not make it invalid.
    const errors = diagnostics.filter((diagnostic) => Number(diagnostic.severity) === 0);
    expect(errors.map((e) => `${e.path.join('.')}: ${e.message}`)).toEqual([]);
    expect(document).toBeDefined();
  });

  it('names every event version the code validates, and every queue binding it declares', async () => {
    const { document } = await new Parser().parse(JSON.stringify(asyncApiDocument()));
    const messageNames = document!
      .components()
      .messages()
      .all()
      .map((message) => message.name());
    expect(messageNames.sort()).toEqual(Object.keys(eventPayloads).sort());
    const received = document!
      .operations()
      .filterByReceive()
      .map((operation) => operation.id());
    const bound = Object.values(queues).flatMap((queue) =>
      queue.bindings.map((type) => `receive.${queue.name}.${type}`),
    );
    expect(received.sort()).toEqual(bound.sort());
  });
});
