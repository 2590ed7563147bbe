// `pivot call` command line: parsing and checking the options (durations, digit strings, port ranges, the server
// address). Everything here is pure so it is tested without sockets; the user agent is in call.ts.

export const CALL_USAGE = `Usage: pivot call <number | extension | sip:URI> [options]

Calls a number on a Pivot server as a real SIP phone would, sends DTMF, records what it hears and prints a timeline
of SIP and media events. Exit code 0 when the call was answered and ended normally, 1 when it failed, 2 on a usage
error, 130 when interrupted (Ctrl-C hangs up).

Options:
  --server host[:port]   Pivot's SIP address (default 127.0.0.1:<PIVOT_SIP_PORT or 5060>)
  --transport udp|tcp    SIP transport (default udp)
  --from user            caller user part (default the --user name, else "pivot")
  --user name            device SIP username for digest authentication (extensions need a device)
  --password pw          its password
  --realm realm          the account realm (From host); default: the server's
  --digits "12#"         DTMF to send (RFC 4733); w = 0.5 s pause, W = 1 s pause
  --after 3s             send the digits this long after the answer (default 2s)
  --record out.wav       write what was heard to a WAV file
  --duration 20s         hang up this long after the answer (default 30s)
  --timeout 30s          give up when not answered within this time (default 30s)
  --rtp-ports 40000-40999  local RTP port range
  --quiet                print only the summary

Without --user, the demo device of a local Pivot data folder (PIVOT_DATA_DIR, default ./data) is used when there
is one. Durations take ms, s or m (plain numbers are seconds).`;

export interface CallOptions {
  target: string;
  /** Host and port from --server; undefined when not given (a sip: URI target is then resolved). */
  server?: { host: string; port: number };
  transport: 'udp' | 'tcp';
  from?: string;
  user?: string;
  password?: string;
  realm?: string;
  digits: string;
  afterMs: number;
  record?: string;
  durationMs: number;
  timeoutMs: number;
  rtpPorts: { min: number; max: number };
  quiet: boolean;
}

export class UsageError extends Error {}

export const DEFAULT_RTP_PORTS = { min: 40000, max: 40999 };

/** `3s`, `500ms`, `1m`, `2.5` (seconds) → milliseconds. */
export function parseDuration(text: string, name = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${name} must look like 3s, 500ms, 1m or 2.5 (seconds), got "${text}"`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  return Math.round(unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000);
}

/** DTMF keys and the w/W pauses. */
export function checkDigits(text: string): string {
  const bad = [...text].find((c) => !/[0-9*#A-Da-dwW]/.test(c));
  if (bad !== undefined) {
    throw new UsageError(`--digits may hold 0-9, *, #, A-D and the pauses w (0.5 s) and W (1 s), got "${bad}"`);
  }
  return text.replace(/[a-d]/g, (c) => c.toUpperCase());
}

/** The steps of a digit string: keys to send and pauses (ms) between them. */
export function digitSteps(digits: string): ({ digit: string } | { pauseMs: number })[] {
  return [...digits].map((c) => (c === 'w' ? { pauseMs: 500 } : c === 'W' ? { pauseMs: 1000 } : { digit: c }));
}

function portNumber(text: string, name: string, allowZero = false): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535 || (!allowZero && n === 0)) {
    throw new UsageError(`${name}: "${text}" is not a port number`);
  }
  return n;
}

/** `40000-40999` → { min, max }. */
export function parsePortRange(text: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--rtp-ports must look like 40000-40999, got "${text}"`);
  const min = portNumber(m[1], '--rtp-ports');
  const max = portNumber(m[2], '--rtp-ports');
  if (max - min < 1) throw new UsageError(`--rtp-ports needs at least two ports, got "${text}"`);
  return { min, max };
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` → host and port (default `defaultPort`). */
export function parseServer(text: string, defaultPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1], port: v6[2] ? portNumber(v6[2], '--server') : defaultPort };
  const parts = text.split(':');
  if (parts.length > 2) return { host: text, port: defaultPort }; // a bare IPv6 address
  const [host, port] = parts;
  if (!host) throw new UsageError(`--server must look like host[:port], got "${text}"`);
  return { host, port: port === undefined ? defaultPort : portNumber(port, '--server') };
}

const VALUED = new Set([
  'server',
  'transport',
  'from',
  'user',
  'password',
  'realm',
  'digits',
  'after',
  'record',
  'duration',
  'timeout',
  'rtp-ports',
]);

/** Parse `pivot call`'s arguments (after the word `call`). `help` is returned for --help. */
export function parseCallArgs(argv: string[], defaults: { sipPort: number }): CallOptions | 'help' {
  const values = new Map<string, string>();
  const positional: string[] = [];
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--quiet' || arg === '-q') {
      quiet = true;
      continue;
    }
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      if (!VALUED.has(name)) throw new UsageError(`unknown option ${arg.slice(0, eq === -1 ? undefined : eq)}`);
      let value: string | undefined;
      if (eq !== -1) value = arg.slice(eq + 1);
      else {
        value = argv[++i];
        if (value === undefined) throw new UsageError(`--${name} needs a value`);
      }
      if (values.has(name)) throw new UsageError(`--${name} given twice`);
      values.set(name, value);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) throw new UsageError(`unknown option ${arg}`);
    positional.push(arg);
  }
  if (positional.length === 0) throw new UsageError('what to call is missing: a number, an extension or a sip: URI');
  if (positional.length > 1) throw new UsageError(`one target only, got ${positional.map((p) => `"${p}"`).join(' ')}`);
  const target = positional[0];
  if (!/^sips?:/i.test(target) && !/^[\w.+*#-]+$/.test(target)) {
    throw new UsageError(`"${target}" is neither a number, an extension nor a sip: URI`);
  }
  const from = values.get('from');
  if (from !== undefined && !/^[\w.+*-]+$/.test(from)) {
    throw new UsageError(`--from must be a SIP user such as 15550100001 or alice, got "${from}"`);
  }
  const transport = (values.get('transport') ?? 'udp').toLowerCase();
  if (transport !== 'udp' && transport !== 'tcp') {
    throw new UsageError(`--transport must be udp or tcp, got "${values.get('transport')}"`);
  }
  const user = values.get('user');
  const password = values.get('password');
  if ((user === undefined) !== (password === undefined)) throw new UsageError('--user and --password go together');
  const server = values.get('server');
  const durationMs = parseDuration(values.get('duration') ?? '30s', '--duration');
  const timeoutMs = parseDuration(values.get('timeout') ?? '30s', '--timeout');
  if (durationMs <= 0) throw new UsageError('--duration must be more than 0');
  if (timeoutMs <= 0) throw new UsageError('--timeout must be more than 0');
  const record = values.get('record');
  if (record === '') throw new UsageError('--record needs a file name');
  return {
    target,
    ...(server !== undefined ? { server: parseServer(server, defaults.sipPort) } : {}),
    transport,
    ...(from !== undefined ? { from } : {}),
    ...(user !== undefined ? { user, password } : {}),
    ...(values.has('realm') ? { realm: values.get('realm') } : {}),
    digits: checkDigits(values.get('digits') ?? ''),
    afterMs: parseDuration(values.get('after') ?? '2s', '--after'),
    ...(record !== undefined ? { record } : {}),
    durationMs,
    timeoutMs,
    rtpPorts: values.has('rtp-ports') ? parsePortRange(values.get('rtp-ports')!) : DEFAULT_RTP_PORTS,
    quiet,
  };
}
