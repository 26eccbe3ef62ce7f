import type { Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { EnvelopeSchema, type AnyEvent } from './envelope.js';
import { ContractViolationError } from './errors.js';
import { eventPayloads } from './events.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: true }));
const envelopeValidator = ajv.compile<Static<typeof EnvelopeSchema>>(EnvelopeSchema);
const payloadValidators = new Map<string, ValidateFunction>(
  Object.entries(eventPayloads).map(([key, schema]) => [key, ajv.compile(schema)]),
);

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
}

/**
 * validateEvent checks an envelope and its payload against the schema of its `type@version`,
 * returning it typed, or throwing ContractViolationError with every reason.
 */
export function validateEvent(candidate: unknown): AnyEvent {
  if (!envelopeValidator(candidate)) {
    throw new ContractViolationError(`invalid envelope: ${describe(envelopeValidator.errors)}`);
  }
  const key = `${candidate.type}@${candidate.version}`;
  const payloadValidator = payloadValidators.get(key);
  if (!payloadValidator) throw new ContractViolationError(`unknown event type ${key}`);
  if (!payloadValidator(candidate.payload)) {
    throw new ContractViolationError(`invalid ${key} payload: ${describe(payloadValidator.errors)}`);
  }
  // The payload was checked against the schema of its own type@version just above.
  return candidate as unknown as AnyEvent;
}

/** decodeEvent parses a message body and validates it; unparseable bytes are a contract violation. */
export function decodeEvent(body: Buffer | string): AnyEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString());
  } catch (error) {
    throw new ContractViolationError('body is not JSON', { cause: error });
  }
  return validateEvent(parsed);
}
