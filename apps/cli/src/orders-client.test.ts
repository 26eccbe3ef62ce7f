import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postOrder } from './orders-client.js';

describe('postOrder', () => {
  const seen: { url?: string; key?: string | string[]; type?: string; body: string }[] = [];
  let answer: (request: IncomingMessage, response: ServerResponse) => void = () => undefined;
  let server: Server;
  let apiUrl: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({
          url: request.url,
          key: request.headers['idempotency-key'],
          type: request.headers['content-type'],
          body,
        });
        answer(request, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('posts the body with its Idempotency-Key to /orders and reads the answer', async () => {
    answer = (_, response) => response.writeHead(202, { 'content-type': 'application/json' }).end('{"id":"o-1"}');
    const got = await postOrder(apiUrl, 'key-1', '{"customerId":"c"}', 5_000);
    expect(got).toMatchObject({ status: 202, retryAfter: null, body: '{"id":"o-1"}' });
    expect(seen.at(-1)).toEqual({
      url: '/orders',
      key: 'key-1',
      type: 'application/json',
      body: '{"customerId":"c"}',
    });
  });

  it('gives a refusal its status and Retry-After', async () => {
    answer = (_, response) => response.writeHead(503, { 'retry-after': '1' }).end('{"error":"overloaded"}');
    const got = await postOrder(apiUrl, 'key-2', '{}', 5_000);
    expect(got).toMatchObject({ status: 503, retryAfter: '1' });
  });

  it('resolves with status 0 when no answer comes in time', async () => {
    answer = () => undefined;
    const got = await postOrder(apiUrl, 'key-3', '{}', 200);
    expect(got.status).toBe(0);
    expect(got.ms).toBeGreaterThanOrEqual(150);
  });

  it('resolves with status 0 when nothing listens', async () => {
    const got = await postOrder('http://127.0.0.1:1', 'key-4', '{}', 1_000);
    expect(got.status).toBe(0);
  });
});
