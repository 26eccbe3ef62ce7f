/**
 * A published event version is a contract in both directions: producers still send it and messages
 * of it wait in queues and dead-letter queues, while consumers validate it strictly (every payload
 * schema forbids unknown properties). So once released, a version's schema may only change in what
 * it says about itself (descriptions, titles, examples); anything that changes which messages it
 * accepts breaks somebody and must be a new version. compatibilityProblems names each such change.
 */

type Schema = Record<string, unknown>;

// Keywords that describe without constraining.
const annotations = new Set(['description', 'title', 'examples', '$comment', 'default']);

const asSchema = (value: unknown): Schema => (value && typeof value === 'object' ? (value as Schema) : {});
const literals = (schema: Schema): unknown[] | undefined => {
  if (Array.isArray(schema.enum)) return schema.enum as unknown[];
  if ('const' in schema) return [schema.const];
  const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (options?.every((option) => 'const' in option)) return options.map((option) => option.const);
  return undefined;
};
const show = (value: unknown) => JSON.stringify(value);

/** compatibilityProblems lists, in words, how `current` accepts other messages than `released`. */
export function compatibilityProblems(released: Schema, current: Schema, at = 'payload'): string[] {
  const problems: string[] = [];
  const was = literals(released);
  const now = literals(current);
  if (was && now) {
    const dropped = was.filter((value) => !now.some((v) => show(v) === show(value)));
    const added = now.filter((value) => !was.some((v) => show(v) === show(value)));
    if (dropped.length > 0)
      problems.push(
        `${at}: enum narrowed, ${dropped.map(show).join(', ')} no longer allowed (published messages carry it)`,
      );
    if (added.length > 0)
      problems.push(`${at}: enum widened with ${added.map(show).join(', ')} (its consumers refuse it)`);
    return problems;
  }
  if (show(released.type) !== show(current.type)) {
    problems.push(`${at}: type changed from ${show(released.type)} to ${show(current.type)}`);
    return problems;
  }
  const wasProperties = asSchema(released.properties);
  const nowProperties = asSchema(current.properties);
  const wasRequired = new Set((released.required as string[] | undefined) ?? []);
  const nowRequired = new Set((current.required as string[] | undefined) ?? []);
  for (const name of Object.keys(wasProperties)) {
    if (!(name in nowProperties)) {
      problems.push(
        `${at}.${name}: removed (${wasRequired.has(name) ? 'a required field its consumers read' : 'published messages carry it'})`,
      );
    } else {
      problems.push(
        ...compatibilityProblems(asSchema(wasProperties[name]), asSchema(nowProperties[name]), `${at}.${name}`),
      );
      if (wasRequired.has(name) && !nowRequired.has(name))
        problems.push(`${at}.${name}: no longer required (its consumers read it)`);
      if (!wasRequired.has(name) && nowRequired.has(name))
        problems.push(`${at}.${name}: now required (published messages lack it)`);
    }
  }
  for (const name of Object.keys(nowProperties)) {
    if (!(name in wasProperties)) problems.push(`${at}.${name}: added (its consumers refuse unknown fields)`);
  }
  if ('items' in released || 'items' in current) {
    problems.push(...compatibilityProblems(asSchema(released.items), asSchema(current.items), `${at}[]`));
  }
  // Unions other than of literals, consts and every constraint are compared whole.
  const handled = new Set(['type', 'properties', 'required', 'items']);
  const keywords = new Set([...Object.keys(released), ...Object.keys(current)]);
  for (const keyword of keywords) {
    if (handled.has(keyword) || annotations.has(keyword)) continue;
    if (show(released[keyword]) !== show(current[keyword])) {
      problems.push(`${at}: ${keyword} changed from ${show(released[keyword])} to ${show(current[keyword])}`);
    }
  }
  return problems;
}

/** The directory, beside src/, that keeps every released payload schema as `<type>@<version>.json`. */
export const releasedDirectory = new URL('../released/', import.meta.url);
