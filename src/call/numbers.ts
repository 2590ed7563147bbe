// Phone numbers as people type them → E.164, with North American defaults (DESIGN §2: numbers are normalised to
// E.164 where they look like phone numbers). One function for TwiML <Dial>, carrier routing and inbound routing.

/**
 * Formatting stripped; `+…` kept; `00…` and `011…` become `+…`; 10 digits get `+1`; 11 digits starting with 1 get
 * `+`. Shorter digit strings (extensions, short codes) come back as digits. Undefined when it is not a number.
 */
export function toE164(input: string): string | undefined {
  const compact = input.trim().replace(/[\s().\-/]/g, '');
  if (!/^\+?\d{1,17}$/.test(compact)) return undefined;
  if (compact.startsWith('+')) return compact.length <= 16 ? compact : undefined;
  if (compact.startsWith('011')) return `+${compact.slice(3)}`;
  if (compact.startsWith('00')) return `+${compact.slice(2)}`;
  if (compact.length > 15) return undefined;
  if (compact.length === 10) return `+1${compact}`;
  if (compact.length === 11 && compact.startsWith('1')) return `+${compact}`;
  return compact;
}

/** `+` and 6 to 15 digits. */
export function isE164(value: string): boolean {
  return /^\+\d{6,15}$/.test(value);
}
