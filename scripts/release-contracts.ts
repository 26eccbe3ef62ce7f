// release-contracts.ts records every event version not yet released: its payload schema, as the code
// validates it, in packages/contracts/released/<type>@<version>.json. A recorded version is never
// rewritten; the compatibility gate (packages/contracts/src/compatibility.test.ts) holds the code to it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { eventPayloads, releasedDirectory } from '@surety/contracts';

mkdirSync(releasedDirectory, { recursive: true });
for (const [key, schema] of Object.entries(eventPayloads)) {
  const file = new URL(`${key}.json`, releasedDirectory);
  if (existsSync(file)) continue;
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`[contracts] released ${key}`);
}
