import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { compatibilityProblems, releasedDirectory } from './compatibility.js';
import { eventPayloads } from './events.js';

const plain = (schema: unknown) => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
const released = Object.fromEntries(
  readdirSync(releasedDirectory)
    .filter((name) => name.endsWith('.json'))
    .map((name) => [
      name.slice(0, -'.json'.length),
      JSON.parse(readFileSync(new URL(name, releasedDirectory), 'utf8')) as Record<string, unknown>,
    ]),
);
const howToRelease = 'record it with `node --import tsx scripts/release-contracts.ts`';

describe('the compatibility gate: every released event version', () => {
  it('is still one the consumers accept', () => {
    const gone = Object.keys(released).filter((key) => !(key in eventPayloads));
    expect(gone, 'a released version was removed; messages of it still wait in queues and DLQs').toEqual([]);
  });

  it.each(Object.keys(eventPayloads))('%s accepts exactly the messages it did when released', (key) => {
    const before = released[key];
    expect(before, `${key} is not released yet: ${howToRelease}`).toBeDefined();
    const problems = compatibilityProblems(before!, plain(eventPayloads[key as keyof typeof eventPayloads]));
    expect(
      problems,
      `${key} changed in a way that breaks its producers or consumers; publish the change as a new version, ` +
        `with consumers that accept both until the old one is drained:\n  ${problems.join('\n  ')}`,
    ).toEqual([]);
  });
});

interface Property {
  type?: string;
  minLength?: number;
  description?: string;
  anyOf?: { const: string; type: string }[];
}
interface ObjectSchema {
  type: string;
  required: string[];
  properties: Record<string, Property>;
}
type Edit = (schema: ObjectSchema) => unknown;

describe('compatibilityProblems', () => {
  const v1 = plain(
    Type.Object(
      {
        customerId: Type.String({ minLength: 1 }),
        totalCents: Type.Integer({ minimum: 0 }),
        channel: Type.Union([Type.Literal('email'), Type.Literal('sms')]),
        note: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
  ) as unknown as ObjectSchema;
  const change = (edit: Edit) => {
    const copy = structuredClone(v1);
    edit(copy);
    return compatibilityProblems(v1 as unknown as Record<string, unknown>, copy as unknown as Record<string, unknown>);
  };
  const property = (schema: ObjectSchema, name: string) => schema.properties[name]!;

  it('finds nothing in a change of description only', () => {
    expect(change((s) => (property(s, 'customerId').description = 'who ordered'))).toEqual([]);
  });

  const edits: [string, Edit, RegExp][] = [
    [
      'a required field removed',
      (s) => {
        delete s.properties.customerId;
        s.required = s.required.filter((name) => name !== 'customerId');
      },
      /customerId: removed \(a required field/,
    ],
    [
      'a type changed',
      (s) => (property(s, 'totalCents').type = 'string'),
      /totalCents: type changed from "integer" to "string"/,
    ],
    ['an enum narrowed', (s) => property(s, 'channel').anyOf!.pop(), /channel: enum narrowed, "sms" no longer allowed/],
    [
      'an enum widened',
      (s) => property(s, 'channel').anyOf!.push({ const: 'push', type: 'string' }),
      /enum widened with "push"/,
    ],
    ['a field added', (s) => (s.properties.coupon = { type: 'string' }), /coupon: added/],
    ['an optional field made required', (s) => s.required.push('note'), /note: now required/],
    [
      'a constraint tightened',
      (s) => (property(s, 'customerId').minLength = 3),
      /customerId: minLength changed from 1 to 3/,
    ],
  ];
  it.each(edits)('reports %s', (_name, edit, expected) => {
    expect(change(edit).join('\n')).toMatch(expected);
  });
});
