/** formatMoney shows cents as an amount with two decimals. */
export function formatMoney(cents: number): string {
  return (cents / 100).toFixed(2);
}

/** formatTime shows an instant as local time with milliseconds: pipeline steps are close together. */
export function formatTime(iso: string): string {
  const at = new Date(iso);
  return `${at.toLocaleTimeString(undefined, { hour12: false })}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * newTraceparent starts a W3C trace for one order: the api stores its trace id with the order, and
 * the trace follows the order through every hop.
 */
export function newTraceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

/** randomId is a version 4 UUID, also where crypto.randomUUID is missing (plain http on a phone). */
export function randomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
