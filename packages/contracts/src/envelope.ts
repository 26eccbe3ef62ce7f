import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { currentVersion, type EventType, type PayloadOf } from './events.js';

/** The envelope's JSON Schema; the payload is checked apart, by its `type@version`. */
export const EnvelopeSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: Type.String({ minLength: 1 }),
    version: Type.Integer({ minimum: 1 }),
    occurredAt: Type.String({ format: 'date-time' }),
    orderId: Type.String({ format: 'uuid' }),
    correlationId: Type.String({ minLength: 1 }),
    causationId: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
    payload: Type.Object({}),
  },
  { additionalProperties: false },
);

/** Envelope of one event type; `AnyEvent` is the union a handler switches on. */
export interface Envelope<T extends EventType = EventType> {
  id: string;
  type: T;
  version: number;
  occurredAt: string;
  orderId: string;
  correlationId: string;
  causationId: string | null;
  payload: PayloadOf<T>;
}

export type AnyEvent = { [T in EventType]: Envelope<T> }[EventType];

export interface NewEvent<T extends EventType> {
  type: T;
  orderId: string;
  payload: PayloadOf<T>;
  /** The event this one answers; its correlation id is carried over. */
  causedBy?: Pick<Envelope, 'id' | 'correlationId'>;
  correlationId?: string;
}

/** createEvent stamps a new event with its id, version and time, keeping the causal chain. */
export function createEvent<T extends EventType>(event: NewEvent<T>): Envelope<T> {
  return {
    id: randomUUID(),
    type: event.type,
    version: currentVersion[event.type],
    occurredAt: new Date().toISOString(),
    orderId: event.orderId,
    correlationId: event.causedBy?.correlationId ?? event.correlationId ?? event.orderId,
    causationId: event.causedBy?.id ?? null,
    payload: event.payload,
  };
}

/**
 * The AMQP headers that carry an event's keys, for a consumer that routes by key (a consistent-hash
 * exchange hashes one of them): its order, and its customer when the event names one.
 */
export const keyHeaders = { order: 'x-order-id', customer: 'x-customer-id' } as const;
export type PartitionKey = keyof typeof keyHeaders;

/** keyHeadersOf answers an event's key headers. */
export function keyHeadersOf(event: Pick<Envelope, 'orderId' | 'payload'>): Record<string, string> {
  const { customerId } = event.payload as { customerId?: unknown };
  return {
    [keyHeaders.order]: event.orderId,
    ...(typeof customerId === 'string' ? { [keyHeaders.customer]: customerId } : {}),
  };
}
