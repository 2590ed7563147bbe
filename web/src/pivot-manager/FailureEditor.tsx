// "When the request fails": what the pivot node's `_` child does when Pivot gets no usable answer from the web server
// (transport error, timeout, an error status, an empty or invalid document — DESIGN §2). Hang up (no child), play a
// media file (`play`), speak a message (`tts`), or go to another callflow of the account (`callflow`). A child this
// form cannot edit (the callflow editor built a longer branch) is kept as it is unless another choice is made.

import { useId } from 'react';
import { listAll } from '../api/client';
import { useLoad } from '../api/hooks';
import { useAccount } from '../api/session';
import { Spinner } from '../components/ui';
import { Link } from '../router';
import { callflowLabel, TTS_MAX, type CallflowDoc, type Failure, type FailureKind } from './model';

interface Media {
  id: string;
  name?: string;
  media_source?: string;
}

interface Props {
  value: Failure;
  onChange: (next: Failure) => void;
  error?: string;
  /** The callflow being edited (not offered as a target). */
  editingId?: string;
  /** The `_` child's module when it is one this form cannot edit. */
  kept?: string;
}

const CHOICES: { kind: FailureKind; label: string }[] = [
  { kind: 'hangup', label: 'Hang up' },
  { kind: 'media', label: 'Play a media file' },
  { kind: 'tts', label: 'Speak a message' },
  { kind: 'callflow', label: 'Go to another callflow' },
];

function switchTo(kind: FailureKind, kept?: string): Failure {
  switch (kind) {
    case 'media':
      return { kind, id: '' };
    case 'tts':
      return { kind, text: '' };
    case 'callflow':
      return { kind, id: '' };
    case 'keep':
      return { kind, module: kept ?? '' };
    default:
      return { kind: 'hangup' };
  }
}

function MediaPicker({ value, onChange, describedBy, id }: PickerProps) {
  const { base } = useAccount();
  const media = useLoad(() => listAll<Media>(`${base}/media`), [base]);
  if (media.loading) return <PickerLoading what="media" />;
  if (media.error) return <PickerError what="media" detail={media.error.detail} retry={media.reload} />;
  const list = media.data ?? [];
  if (!list.length) {
    return (
      <p className="hint">
        The account has no media yet. <Link to="/media">Upload a prompt on the Media page</Link>, or speak a message
        instead.
      </p>
    );
  }
  const known = list.some((m) => m.id === value);
  return (
    <>
      <label htmlFor={id}>Media file</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={describedBy}>
        <option value="">Choose a media file…</option>
        {!known && value ? <option value={value}>{value} (not found in this account's media)</option> : null}
        {list.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name ?? m.id}
            {m.media_source === 'tts' ? ' (text-to-speech)' : ''}
          </option>
        ))}
      </select>
    </>
  );
}

function CallflowPicker({ value, onChange, describedBy, id, editingId }: PickerProps & { editingId?: string }) {
  const { base } = useAccount();
  const flows = useLoad(() => listAll<CallflowDoc>(`${base}/callflows`), [base]);
  if (flows.loading) return <PickerLoading what="callflows" />;
  if (flows.error) return <PickerError what="callflows" detail={flows.error.detail} retry={flows.reload} />;
  const list = (flows.data ?? [])
    .filter((f) => f.id !== editingId)
    .sort((a, b) => callflowLabel(a).localeCompare(callflowLabel(b)));
  if (!list.length) {
    return (
      <p className="hint">
        The account has no other callflow yet. <Link to="/callflows">Build one in the callflow editor</Link>.
      </p>
    );
  }
  const known = list.some((f) => f.id === value);
  return (
    <>
      <label htmlFor={id}>Callflow</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={describedBy}>
        <option value="">Choose a callflow…</option>
        {!known && value ? <option value={value}>{value} (not found)</option> : null}
        {list.map((f) => (
          <option key={f.id} value={f.id}>
            {callflowLabel(f)}
          </option>
        ))}
      </select>
    </>
  );
}

interface PickerProps {
  value: string;
  onChange: (v: string) => void;
  describedBy?: string;
  id: string;
}

function PickerLoading({ what }: { what: string }) {
  return (
    <div className="hint">
      <Spinner small /> Loading {what}…
    </div>
  );
}

function PickerError({ what, detail, retry }: { what: string; detail: string; retry: () => void }) {
  return (
    <div className="field-error" role="alert">
      Could not load the {what}: {detail}{' '}
      <button type="button" className="pm-link" onClick={retry}>
        Try again
      </button>
    </div>
  );
}

export function FailureEditor({ value, onChange, error, editingId, kept }: Props) {
  const id = useId();
  const errId = `${id}-err`;
  const describedBy = error ? errId : undefined;
  const choices = kept ? [{ kind: 'keep' as const, label: `Keep the current branch (${kept})` }, ...CHOICES] : CHOICES;
  return (
    <fieldset className={`field pm-failure${error ? ' field-invalid' : ''}`}>
      <legend>When the request fails</legend>
      <p className="hint pm-legend-hint">
        When your server cannot be reached, takes longer than the timeout, answers an error status or a document Pivot
        cannot run.
      </p>
      <div className="pm-radios">
        {choices.map((c) => (
          <label key={c.kind} className="pm-radio">
            <input
              type="radio"
              name={`${id}-failure`}
              value={c.kind}
              checked={value.kind === c.kind}
              onChange={() => onChange(switchTo(c.kind, kept))}
            />
            {c.label}
          </label>
        ))}
      </div>
      <div className="pm-failure-detail">
        {value.kind === 'media' ? (
          <MediaPicker
            id={`${id}-media`}
            value={value.id}
            onChange={(v) => onChange({ kind: 'media', id: v })}
            describedBy={describedBy}
          />
        ) : value.kind === 'tts' ? (
          <>
            <label htmlFor={`${id}-tts`}>Message</label>
            <textarea
              id={`${id}-tts`}
              className="pm-tts"
              value={value.text}
              maxLength={TTS_MAX}
              placeholder="Sorry, we cannot take your call right now. Please try again later."
              aria-describedby={describedBy}
              aria-invalid={!!error || undefined}
              onChange={(e) => onChange({ kind: 'tts', text: e.target.value })}
            />
          </>
        ) : value.kind === 'callflow' ? (
          <CallflowPicker
            id={`${id}-callflow`}
            value={value.id}
            onChange={(v) => onChange({ kind: 'callflow', id: v })}
            describedBy={describedBy}
            editingId={editingId}
          />
        ) : null}
      </div>
      {error ? (
        <div className="field-error" id={errId} role="alert">
          {error}
        </div>
      ) : null}
    </fieldset>
  );
}
