import { describe, expect, it } from 'vitest';
import { createClient, currentHostOf, hostListOf } from './host-list.js';

describe('hostListOf', () => {
  it('reads a multi-host URL as one URL per host, keeping credentials, database and other parameters', () => {
    expect(
      hostListOf(
        'postgres://app:secret@10.0.0.1:5432,10.0.0.2:5433/surety?target_session_attrs=read-write&sslmode=disable',
      ),
    ).toEqual({
      urls: [
        'postgres://app:secret@10.0.0.1:5432/surety?sslmode=disable',
        'postgres://app:secret@10.0.0.2:5433/surety?sslmode=disable',
      ],
      readWrite: true,
    });
  });

  it('takes any host that answers unless writes are asked for, as libpq does', () => {
    expect(hostListOf('postgresql://h1,h2/db')).toEqual({
      urls: ['postgresql://h1/db', 'postgresql://h2/db'],
      readWrite: false,
    });
  });

  it('leaves a one-host URL alone', () => {
    expect(hostListOf('postgres://postgres@127.0.0.1:55432/surety')).toBeUndefined();
  });

  it('refuses a target it does not implement', () => {
    expect(() => hostListOf('postgres://h1,h2/db?target_session_attrs=prefer-standby')).toThrow(/prefer-standby/);
  });
});

describe('currentHostOf', () => {
  it('names the host the next connection goes to: the first, then the next once the first refused', async () => {
    // Port 1 refuses at once; nothing listens on 127.0.0.2:2 either, which is never tried here.
    const url = 'postgres://app@127.0.0.1:1,127.0.0.2:2/surety?target_session_attrs=read-write';
    expect(currentHostOf(url)).toBe('postgres://app@127.0.0.1:1/surety');
    await expect(createClient(url).connect()).rejects.toThrow(/ECONNREFUSED/);
    expect(currentHostOf(url)).toBe('postgres://app@127.0.0.2:2/surety');
  });

  it('answers a one-host URL as it is', () => {
    expect(currentHostOf('postgres://postgres@127.0.0.1:55432/surety')).toBe(
      'postgres://postgres@127.0.0.1:55432/surety',
    );
  });
});
