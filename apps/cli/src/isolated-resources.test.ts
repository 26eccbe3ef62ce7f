import { describe, expect, it } from 'vitest';
import { withPath } from './isolated-resources.js';

describe('withPath', () => {
  it('replaces the path of one URL, keeping its query', () => {
    expect(withPath('postgres://postgres@127.0.0.1:55432/surety?sslmode=disable', '/postgres')).toBe(
      'postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable',
    );
    expect(withPath('amqp://guest:guest@127.0.0.1:5699', '/drill')).toBe('amqp://guest:guest@127.0.0.1:5699/drill');
  });

  it('replaces it in each URL of a list, one per node', () => {
    expect(withPath('amqp://g:g@10.231.0.11:5672,amqp://g:g@10.231.0.12:5672/', '/v')).toBe(
      'amqp://g:g@10.231.0.11:5672/v,amqp://g:g@10.231.0.12:5672/v',
    );
  });

  it('keeps the hosts of a multi-host URL as written', () => {
    expect(
      withPath('postgres://postgres@10.231.0.21:5432,10.231.0.22:5432/surety?target_session_attrs=read-write', '/d'),
    ).toBe('postgres://postgres@10.231.0.21:5432,10.231.0.22:5432/d?target_session_attrs=read-write');
  });
});
