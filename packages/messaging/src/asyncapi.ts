import { EnvelopeSchema, eventPayloads, keyHeaders, type EventKey } from '@surety/contracts';
import { DEFAULT_DELIVERY_LIMIT, EVENTS_EXCHANGE, deadLetterQueueName, queues, type QueueSpec } from './topology.js';

type JsonObject = Record<string, unknown>;
type Ref = { $ref: string };

export interface AsyncApiMessage {
  name: string;
  title: string;
  contentType: string;
  headers: JsonObject;
  payload: JsonObject;
  bindings: JsonObject;
}
export interface AsyncApiChannel {
  address: string;
  title: string;
  messages: Record<string, Ref>;
  bindings: JsonObject;
}
export interface AsyncApiOperation {
  action: 'send' | 'receive';
  channel: Ref;
  summary: string;
  description?: string;
  bindings?: JsonObject;
}
export interface AsyncApiDocument {
  asyncapi: string;
  info: { title: string; version: string; description: string };
  defaultContentType: string;
  channels: Record<string, AsyncApiChannel>;
  operations: Record<string, AsyncApiOperation>;
  components: { messages: Record<string, AsyncApiMessage> };
}

/** A TypeBox schema as plain JSON Schema: its symbol-keyed metadata left out. */
const plain = (schema: unknown): JsonObject => JSON.parse(JSON.stringify(schema)) as JsonObject;

const typeOf = (key: EventKey) => key.slice(0, key.indexOf('@'));
const versionOf = (key: EventKey) => Number(key.slice(key.indexOf('@') + 1));
/** Names usable as AsyncAPI component and operation keys (`^[a-zA-Z0-9.\-_]+$`). */
const componentName = (key: string) => key.replace('@', '.v');

/** The envelope of one `type@version`, its payload schema in place of the envelope's open object. */
function messageSchema(key: EventKey): JsonObject {
  const envelope = plain(EnvelopeSchema);
  const properties = envelope.properties as JsonObject;
  return {
    ...envelope,
    properties: {
      ...properties,
      type: { type: 'string', const: typeOf(key) },
      version: { type: 'integer', const: versionOf(key) },
      payload: plain(eventPayloads[key]),
    },
  };
}

// The AMQP headers every event travels with (packages/db outboxEntry, the relay and the writers).
const messageHeaders = {
  type: 'object',
  properties: {
    'x-correlation-id': { type: 'string', description: 'The order the event belongs to, through every hop.' },
    [keyHeaders.order]: {
      type: 'string',
      description: "The event's order: the key a consumer needing per-order order routes by (declarePartitionedRoute).",
    },
    [keyHeaders.customer]: {
      type: 'string',
      description:
        'The customer, on the events that name one: the key a consumer needing per-customer order would route by.',
    },
    traceparent: { type: 'string', description: 'W3C trace context of the request or message that caused it.' },
    tracestate: { type: 'string' },
  },
};

/**
 * asyncApiDocument describes every event Surety publishes as an AsyncAPI 3 document: one channel per
 * routing key on the `surety.events` topic exchange, one message per `type@version` (the envelope
 * with that version's payload schema), an operation that sends each, and one that receives each
 * consumer queue's bindings. It is built from the schemas the code validates with and the topology
 * it declares, so it cannot drift from them.
 */
export function asyncApiDocument(version = '0.1.0'): AsyncApiDocument {
  const keys = Object.keys(eventPayloads) as EventKey[];
  const types = [...new Set(keys.map(typeOf))].sort();
  const messages: Record<string, AsyncApiMessage> = Object.fromEntries(
    keys.map((key) => [
      componentName(key),
      {
        name: key,
        title: `${typeOf(key)}, version ${versionOf(key)}`,
        contentType: 'application/json',
        headers: messageHeaders,
        payload: messageSchema(key),
        bindings: { amqp: { messageType: typeOf(key), bindingVersion: '0.3.0' } },
      },
    ]),
  );
  const channels: Record<string, AsyncApiChannel> = Object.fromEntries(
    types.map((type) => [
      type,
      {
        address: type,
        title: `${type} on ${EVENTS_EXCHANGE}`,
        messages: Object.fromEntries(
          keys
            .filter((key) => typeOf(key) === type)
            .map((key) => [componentName(key), { $ref: `#/components/messages/${componentName(key)}` }]),
        ),
        bindings: {
          amqp: {
            is: 'routingKey',
            exchange: { name: EVENTS_EXCHANGE, type: 'topic', durable: true, autoDelete: false, vhost: '/' },
            bindingVersion: '0.3.0',
          },
        },
      },
    ]),
  );
  const sends: Record<string, AsyncApiOperation> = Object.fromEntries(
    types.map((type) => [
      `send.${type}`,
      {
        action: 'send',
        channel: { $ref: `#/channels/${type}` },
        summary: `Published with confirms once the transaction that wrote it committed (the outbox).`,
      },
    ]),
  );
  const receives: Record<string, AsyncApiOperation> = Object.fromEntries(
    (Object.values(queues) as QueueSpec[]).flatMap((queue) =>
      queue.bindings.map((type) => [
        `receive.${queue.name}.${type}`,
        {
          action: 'receive',
          channel: { $ref: `#/channels/${type}` },
          summary: `${queue.name} takes ${type}: at least once, deduplicated by message id in its inbox.`,
          description:
            `A quorum queue; a message that keeps failing goes through delay tiers to ${deadLetterQueueName(queue.name)} ` +
            `with the reason in its headers, and one that crashes the consumer is dead-lettered after ` +
            `${queue.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT} deliveries.`,
          bindings: {
            amqp: { ack: true, bindingVersion: '0.3.0' },
          },
        },
      ]),
    ),
  );
  return {
    asyncapi: '3.1.0',
    info: {
      title: 'Surety events',
      version,
      description:
        'Every event of the order pipeline. Each is a JSON envelope whose `type` and `version` name the payload ' +
        'schema; a published version never changes in a way that breaks its consumers (packages/contracts/released).',
    },
    defaultContentType: 'application/json',
    channels,
    operations: { ...sends, ...receives },
    components: { messages },
  };
}
