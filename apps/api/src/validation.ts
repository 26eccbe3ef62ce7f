import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// Unknown properties are an error, never silently dropped; defaults fill what is left out.
const common: Options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false };
// A body is checked as sent: JSON's `null` is not `false`, nor `"2"` a quantity.
const asSent = addFormats(new Ajv({ ...common, coerceTypes: false }));
// A query, path or header arrives as text, read into the type the document declares.
const fromText = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));

/** validatorCompiler checks a request body as sent, and reads its other parts from text. */
export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? asSent : fromText).compile(schema);
