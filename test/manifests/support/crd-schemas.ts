import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { crdDirectory, readYaml, requireDirectory } from './repo.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Schema = { [keyword: string]: unknown };

interface CustomResourceDefinition {
  kind: string;
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema?: { openAPIV3Schema: Schema } }[];
  };
}

/**
 * strict turns a CRD's structural OpenAPI 3.0 schema into the JSON Schema Ajv checks, as strict as
 * the API server under strict field validation: every object that lists its properties rejects
 * others, unless it says x-kubernetes-preserve-unknown-fields or sets additionalProperties itself.
 * OpenAPI 3.0's boolean exclusiveMinimum/exclusiveMaximum become the numbers JSON Schema expects.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Schema = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, strict(value)]));
  if (copy.properties && copy.additionalProperties === undefined && !copy['x-kubernetes-preserve-unknown-fields']) {
    copy.additionalProperties = false;
  }
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof copy[exclusive] !== 'boolean') continue;
    if (copy[exclusive]) copy[exclusive] = copy[bound];
    else delete copy[exclusive];
    if (copy[exclusive] !== undefined) delete copy[bound];
  }
  return copy;
}

/**
 * Patterns in CRDs are Go regular expressions; the one construct they use that JavaScript lacks is
 * the case-insensitive flag (?i), read here as applying to the whole pattern.
 */
const goRegExp = Object.assign(
  (pattern: string, flags: string): RegExp =>
    pattern.includes('(?i)') ? new RegExp(pattern.replaceAll('(?i)', ''), `${flags}i`) : new RegExp(pattern, flags),
  { code: 'goRegExp' },
);

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const extra = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
    return `${error.instancePath || '/'} ${error.message ?? 'is invalid'}${extra}`;
  });
}

let schemas: Map<string, Schema> | undefined;
const validators = new Map<string, ValidateFunction>();
const ajv = addFormats(new Ajv({ strict: false, allErrors: true, logger: false, code: { regExp: goRegExp } }));

/** The openAPIV3Schema of every CRD in shared/schemas/crds, by `group/version/Kind`. */
function crdSchemas(): Map<string, Schema> {
  if (schemas) return schemas;
  requireDirectory(crdDirectory, 'the upstream CRDs live in shared/schemas/crds beside the repository');
  const found = new Map<string, Schema>();
  for (const file of readdirSync(crdDirectory).filter((name) => name.endsWith('.yaml'))) {
    for (const document of readYaml(path.join(crdDirectory, file)) as CustomResourceDefinition[]) {
      if (document.kind !== 'CustomResourceDefinition') continue;
      for (const version of document.spec.versions) {
        if (!version.schema) continue;
        found.set(`${document.spec.group}/${version.name}/${document.spec.names.kind}`, version.schema.openAPIV3Schema);
      }
    }
  }
  if (found.size === 0) throw new Error(`no CustomResourceDefinition found in ${crdDirectory}`);
  schemas = found;
  return found;
}

export function crdKinds(): string[] {
  return [...crdSchemas().keys()];
}

/** crdProblems validates a custom resource against its CRD's schema, closed to unknown fields. */
export function crdProblems(object: Record<string, unknown>): string[] {
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  let validate = validators.get(key);
  if (!validate) {
    const schema = crdSchemas().get(key);
    if (!schema) return [`no CRD in ${crdDirectory} defines ${String(object.apiVersion)} ${String(object.kind)}`];
    validate = ajv.compile(strict(schema) as Schema);
    validators.set(key, validate);
  }
  return validate(object) ? [] : describe(validate.errors);
}
