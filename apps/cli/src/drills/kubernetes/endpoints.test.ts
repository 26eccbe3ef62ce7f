import { describe, expect, it } from 'vitest';
import { clusterServices, urlFor } from './endpoints.js';

describe('urlFor', () => {
  it('carries the credentials of the operators’ secrets, encoded', () => {
    const rabbit = { username: 'default_user_x', password: 'p@ss/word' };
    expect(urlFor('amqpUrl', 40001, rabbit)).toBe('amqp://default_user_x:p%40ss%2Fword@127.0.0.1:40001');
    expect(urlFor('managementUrl', 40002, rabbit)).toBe('http://default_user_x:p%40ss%2Fword@127.0.0.1:40002');
    expect(urlFor('databaseUrl', 40003, { username: 'surety', password: 'pw', dbname: 'surety' })).toBe(
      'postgres://surety:pw@127.0.0.1:40003/surety',
    );
    expect(urlFor('gatewayUrl', 40004)).toBe('http://127.0.0.1:40004');
  });

  it('reaches the Services the chart and the operators create, on their ports', () => {
    expect(clusterServices).toMatchObject({
      apiUrl: { service: 'api', port: 8080 },
      gatewayUrl: { service: 'gateway', port: 8090 },
      databaseUrl: { service: 'surety-pg-rw', port: 5432, secret: 'surety-pg-app' },
      amqpUrl: { service: 'rabbitmq', port: 5672, secret: 'rabbitmq-default-user' },
      managementUrl: { service: 'rabbitmq', port: 15672, secret: 'rabbitmq-default-user' },
    });
  });
});
