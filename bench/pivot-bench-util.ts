// Small helpers of the Pivot call benchmarks shared with their far-end processes (no Pivot imports here).

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/** Milliseconds on the monotonic clock shared by every process (fractional). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function parseRange(text: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (!m) throw new Error(`a port range is min-max, not ${text}`);
  return { min: Number(m[1]), max: Number(m[2]) };
}

/** p50/p99/max of a list of milliseconds (nearest rank), rounded to 0.1 ms; nulls when empty. */
export function stats(values: number[]): { n: number; p50: number | null; p99: number | null; max: number | null } {
  if (!values.length) return { n: 0, p50: null, p99: null, max: null };
  const s = Float64Array.from(values).sort();
  const at = (p: number): number => round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]);
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: round(s[s.length - 1]) };
}
