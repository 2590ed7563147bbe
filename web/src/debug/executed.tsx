// What a document made happen, one line per TwiML verb or callflow module with its outcome: the digits a Gather
// collected, the recording a Record made, a Dial's status, a module's branch. Detail fields not summarised are shown
// as small key/value chips so nothing the server recorded is hidden.

import type { DebugRecord } from './model';

type Detail = Record<string, unknown>;

const str = (v: unknown): string =>
  v === undefined || v === null
    ? ''
    : typeof v === 'string'
      ? v
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);

const seconds = (ms: unknown) => (typeof ms === 'number' ? `${(ms / 1000).toFixed(1)} s` : '');

const clip = (s: string, n = 80) => (s.length > n ? `${s.slice(0, n)}…` : s);

interface Summary {
  /** The outcome in words. */
  text: string;
  /** Good, bad or neutral. */
  tone?: 'ok' | 'bad';
  /** Fields already said in `text`. */
  used: string[];
}

function summarize(verb: string, d: Detail): Summary {
  switch (verb) {
    case 'Gather': {
      const digits = str(d.digits);
      const speech = str(d.speech);
      const got = speech ? `heard “${speech}”` : digits ? `collected digits ${digits}` : 'no input';
      const why = d.reason && d.reason !== 'digits' ? ` (${str(d.reason)})` : '';
      return { text: got + why, tone: digits || speech ? 'ok' : undefined, used: ['digits', 'reason', 'speech'] };
    }
    case 'Record': {
      if (d.sid || d.url) {
        return {
          text: `recording ${str(d.sid) || str(d.url)} made, ${seconds(d.duration)}`,
          tone: 'ok',
          used: ['sid', 'duration', 'reason', 'url'],
        };
      }
      return { text: `no recording (${str(d.error || d.reason) || 'empty'})`, tone: 'bad', used: ['reason', 'error'] };
    }
    case 'Dial': {
      const status = str(d.DialCallStatus);
      return {
        text: `dial ${status || 'ended'}${d.DialCallDuration ? `, ${str(d.DialCallDuration)} s` : ''}`,
        tone: status === 'completed' || status === 'answered' ? 'ok' : status ? 'bad' : undefined,
        used: ['DialCallStatus', 'DialCallDuration'],
      };
    }
    case 'Say':
      return { text: `said “${clip(str(d.text))}”`, used: ['text'] };
    case 'Play':
      return { text: `played ${clip(str(d.url || d.tts || d.digits))}`, used: ['url', 'tts', 'digits'] };
    case 'Pause':
      return { text: `paused ${str(d.length)} s`, used: ['length'] };
    case 'Redirect':
      return { text: `redirected to ${str(d.url)}`, used: ['url'] };
    case 'Hangup':
      return { text: 'hung up', used: [] };
    case 'document': {
      const o = str(d.outcome);
      const text =
        o === 'request'
          ? `next request to ${str(d.url)}`
          : o === 'end'
            ? 'the call ended'
            : o === 'next'
              ? 'ran to its end: the call is hung up'
              : o;
      return { text, used: ['outcome', 'url'] };
    }
    case 'callback':
      return {
        text: `to ${str(d.url)}: ${str(d.status) || 'sent'}`,
        tone: 'ok',
        used: ['url', 'status', 'method'],
      };
  }
  if (d.type === 'module') {
    const o = (d.outcome ?? {}) as Record<string, unknown>;
    const where = Array.isArray(o.next)
      ? `then ${o.next.join(' or ')}`
      : o.stop
        ? 'then stop'
        : o.branch
          ? `then branch to ${str(o.branch)}`
          : o.replace
            ? `then ${str(o.replace)}`
            : '';
    const digits = d.digits
      ? ` · digits ${Object.values(d.digits as Detail)
          .map(str)
          .join(', ')}`
      : '';
    const recs = Array.isArray(d.recordings) && d.recordings.length ? ` · ${d.recordings.length} recording(s)` : '';
    return {
      text: d.error ? `failed: ${str(d.error)}` : `ran${where ? `, ${where}` : ''}${digits}${recs}`,
      tone: d.error ? 'bad' : 'ok',
      used: ['type', 'outcome', 'digits', 'recordings', 'error'],
    };
  }
  return { text: '', used: [] };
}

export function Executed({ records }: { records: DebugRecord[] }) {
  if (!records.length) return null;
  return (
    <ol className="ld-exec">
      {records.map((r) => {
        const d = (r.detail ?? {}) as Detail;
        const verb = r.verb ?? '?';
        const s = summarize(verb, d);
        const rest = Object.entries(d).filter(
          ([k, v]) => !s.used.includes(k) && v !== undefined && v !== null && v !== '' && k !== 'data',
        );
        const isModule = d.type === 'module';
        return (
          <li key={r.id}>
            <span className={`ld-verb${isModule ? ' ld-verb-module' : ''}`}>
              {isModule
                ? verb
                : verb === 'document'
                  ? 'end of document'
                  : verb === 'callback'
                    ? 'status callback'
                    : `<${verb}>`}
            </span>
            {s.text ? <span className={`ld-outcome${s.tone ? ` ld-outcome-${s.tone}` : ''}`}>{s.text}</span> : null}
            {rest.length ? (
              <span className="ld-chips">
                {rest.map(([k, v]) => (
                  <span key={k} className="ld-chip">
                    <span className="muted">{k}</span> {clip(str(v), 60)}
                  </span>
                ))}
              </span>
            ) : null}
            {isModule && d.data && Object.keys(d.data as Detail).length ? (
              <span className="ld-chips">
                {Object.entries(d.data as Detail).map(([k, v]) => (
                  <span key={k} className="ld-chip">
                    <span className="muted">{k}</span> {clip(str(v), 60)}
                  </span>
                ))}
              </span>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
