// Media: the account's prompts, which callflows play by id. Upload an audio file (the button, or drop it anywhere
// on the page), or have Pivot speak a text (TTS, synthesised when saved); listen in the browser (the audio is fetched
// with the session's token and played from a blob: URL); rename or change the text; delete. API:
// /v2/accounts/{id}/media and …/media/{id}/raw.

import { useEffect, useId, useMemo, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { api, blobUrl, listAll, request, type ApiError } from '../api/client';
import { useAction, useLoad } from '../api/hooks';
import { useAccount } from '../api/session';
import {
  Button,
  EmptyState,
  Field,
  PageHeader,
  SelectField,
  Spinner,
  TextField,
  formatTime,
  useConfirm,
  useToast,
} from '../components/ui';
import {
  FormErrorBanner,
  ListCount,
  ListState,
  Notice,
  ReadOnlyNotice,
  asApiError,
  fieldError,
  formatBytes,
  formatDuration,
  matches,
  useIsAdmin,
  FormModal,
  ListToolbar,
  NameField,
} from '../admin/parts';

interface MediaDoc {
  id: string;
  name?: string;
  description?: string;
  media_source?: 'upload' | 'tts';
  tts?: { text?: string; voice?: string; language?: string };
  content_type?: string;
  content_length?: number;
  duration_ms?: number;
  created?: number;
}

/** What the upload sends as Content-Type, from the file's type or its extension (the server names what it takes). */
const BY_EXTENSION: Record<string, string> = {
  wav: 'audio/wav',
  wave: 'audio/wav',
  mp3: 'audio/mpeg',
  au: 'audio/basic',
  snd: 'audio/basic',
  ul: 'audio/basic',
  ulaw: 'audio/basic',
  mulaw: 'audio/basic',
  pcmu: 'audio/basic',
  al: 'audio/pcma',
  alaw: 'audio/pcma',
  pcma: 'audio/pcma',
  sln: 'audio/x-sln',
  l16: 'audio/l16',
  raw: 'audio/l16',
};
const ACCEPT = 'audio/*,.wav,.mp3,.au,.snd,.ul,.ulaw,.mulaw,.pcmu,.al,.alaw,.pcma,.sln,.l16,.raw';

function contentTypeOf(file: File): string {
  const ext = file.name.split('.').pop()?.toLowerCase() ?? '';
  const byType = file.type && file.type.startsWith('audio/') ? file.type : undefined;
  // Browsers name WAV `audio/wav`, `audio/x-wav` or `audio/vnd.wave`, all taken; MP3 may be `audio/mp3`.
  return byType ?? BY_EXTENSION[ext] ?? (file.type || 'application/octet-stream');
}

const nameFromFile = (file: File) =>
  file.name
    .replace(/\.[^.]+$/, '')
    .replace(/[_-]+/g, ' ')
    .trim() || file.name;

const VOICES = [
  { value: '', label: 'Default voice' },
  { value: 'female', label: 'Female' },
  { value: 'male', label: 'Male' },
];
const LANGUAGES = [
  { value: 'en-US', label: 'English (US)' },
  { value: 'en-GB', label: 'English (UK)' },
  { value: 'es-ES', label: 'Spanish (Spain)' },
  { value: 'es-MX', label: 'Spanish (Mexico)' },
  { value: 'fr-FR', label: 'French (France)' },
  { value: 'fr-CA', label: 'French (Canada)' },
  { value: 'de-DE', label: 'German' },
  { value: 'it-IT', label: 'Italian' },
  { value: 'pt-BR', label: 'Portuguese (Brazil)' },
  { value: 'nl-NL', label: 'Dutch' },
];
const MAX_TTS = 4096;

/** Fields Pivot sets; the rest of a document is the client's. */
const SERVER_FIELDS = ['id', 'created', 'modified', 'account_id', 'content_type', 'content_length', 'duration_ms'];

/**
 * Changes a prompt by replacing its fields (POST): `changes` win, an undefined value removes the field. The audio
 * stays, unless the TTS text, voice or language changed (then Pivot speaks it again).
 */
function replaceMedia(base: string, media: MediaDoc, changes: Partial<MediaDoc>): Promise<MediaDoc> {
  const doc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...media, ...changes })) {
    if (!SERVER_FIELDS.includes(k) && !k.startsWith('pvt_') && v !== undefined) doc[k] = v;
  }
  return api.post<MediaDoc>(`${base}/media/${media.id}`, doc);
}

/** Uploads a file as a new prompt: the document first, then its audio; a refused file leaves no empty prompt. */
async function uploadPrompt(base: string, file: File, name: string, description: string): Promise<MediaDoc> {
  const doc = await api.put<MediaDoc>(`${base}/media`, {
    name,
    media_source: 'upload',
    ...(description ? { description } : {}),
  });
  try {
    const res = await request<MediaDoc>('PUT', `${base}/media/${doc.id}/raw`, {
      raw: { body: file, contentType: contentTypeOf(file) },
    });
    return res.data;
  } catch (err) {
    await api.del(`${base}/media/${doc.id}`).catch(() => undefined);
    throw err;
  }
}

function UploadDialog({
  initialFile,
  onClose,
  onDone,
}: {
  initialFile?: File;
  onClose: () => void;
  onDone: (m: MediaDoc) => void;
}) {
  const { base } = useAccount();
  const fileId = useId();
  const [file, setFile] = useState<File | undefined>(initialFile);
  const [name, setName] = useState(initialFile ? nameFromFile(initialFile) : '');
  const [description, setDescription] = useState('');
  const [over, setOver] = useState(false);
  const [tried, setTried] = useState(false);
  const upload = useAction(() => uploadPrompt(base, file!, name.trim(), description.trim()));

  const pick = (f: File | undefined) => {
    upload.reset();
    setFile(f);
    if (f && !name.trim()) setName(nameFromFile(f));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!file || !name.trim()) return;
    const done = await upload.run();
    if (done) onDone(done);
  };

  const fileError = (tried && !file ? 'Choose an audio file.' : undefined) ?? fieldError(upload.error, 'file');
  return (
    <FormModal title="Upload a prompt" submitLabel="Upload" busy={upload.busy} onClose={onClose} onSubmit={submit}>
      <div
        className={`drop-zone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          e.stopPropagation();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          e.stopPropagation();
          setOver(false);
          pick(e.dataTransfer.files[0]);
        }}
      >
        <div className={`field${fileError ? ' field-invalid' : ''}`} style={{ marginBottom: 0 }}>
          <label htmlFor={fileId}>Audio file</label>
          <input
            id={fileId}
            type="file"
            name="file"
            accept={ACCEPT}
            aria-invalid={!!fileError || undefined}
            aria-describedby={`${fileId}-hint`}
            onChange={(e) => pick(e.target.files?.[0])}
          />
          <div className="hint" id={`${fileId}-hint`}>
            {file ? (
              <>
                {file.name} · {formatBytes(file.size)}
              </>
            ) : (
              'WAV, MP3, Sun .au, or raw µ-law / A-law / 16-bit PCM; up to 16 MB. Or drop the file here.'
            )}
          </div>
          {fileError ? (
            <div className="field-error" role="alert">
              {fileError}
            </div>
          ) : null}
        </div>
      </div>
      <TextField
        label="Name"
        name="name"
        maxLength={128}
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={(tried && !name.trim() ? 'Give the prompt a name.' : undefined) ?? fieldError(upload.error, 'name')}
      />
      <TextField
        label="Description"
        name="description"
        maxLength={1024}
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        hint="Optional: where it is used, what it says."
      />
      {upload.busy ? (
        <div aria-live="polite">
          <div className="muted">
            Uploading {file ? formatBytes(file.size) : ''}… Pivot checks the audio before it keeps it.
          </div>
          <div className="progress" role="progressbar" aria-label="Uploading">
            <span />
          </div>
        </div>
      ) : null}
      <FormErrorBanner error={upload.error} fields={['file', 'name']} title="The file was not uploaded" />
    </FormModal>
  );
}

function TtsDialog({
  media,
  onClose,
  onDone,
}: {
  /** The TTS prompt edited, or undefined to create one. */
  media?: MediaDoc;
  onClose: () => void;
  onDone: (m: MediaDoc, created: boolean) => void;
}) {
  const { base } = useAccount();
  const [name, setName] = useState(media?.name ?? '');
  const [text, setText] = useState(media?.tts?.text ?? '');
  const [voice, setVoice] = useState(media?.tts?.voice ?? '');
  const [language, setLanguage] = useState(media?.tts?.language ?? 'en-US');
  const [tried, setTried] = useState(false);
  const save = useAction(() => {
    const tts = { text: text.trim(), ...(voice ? { voice } : {}), language };
    return media
      ? replaceMedia(base, media, { name: name.trim(), media_source: 'tts', tts })
      : api.put<MediaDoc>(`${base}/media`, { name: name.trim(), media_source: 'tts', tts });
  });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!name.trim() || !text.trim()) return;
    const done = await save.run();
    if (done) onDone(done, !media);
  };
  const languages = LANGUAGES.some((l) => l.value === language)
    ? LANGUAGES
    : [...LANGUAGES, { value: language, label: language }];
  return (
    <FormModal
      title={media ? `Edit “${media.name ?? 'prompt'}”` : 'New text-to-speech prompt'}
      submitLabel={media ? 'Save changes' : 'Create prompt'}
      busy={save.busy}
      onClose={onClose}
      onSubmit={submit}
    >
      <NameField
        value={name}
        onChange={setName}
        error={(tried && !name.trim() ? 'Give the prompt a name.' : undefined) ?? fieldError(save.error, 'name')}
      />
      <Field
        label="Text to speak"
        error={(tried && !text.trim() ? 'Type what the prompt says.' : undefined) ?? fieldError(save.error, 'tts.text')}
        hint={`${text.length} / ${MAX_TTS} characters. Pivot speaks it once, when you save; calls play the recording.`}
      >
        {(id, describedBy) => (
          <textarea
            id={id}
            name="tts.text"
            className="tts-text"
            rows={4}
            maxLength={MAX_TTS}
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-describedby={describedBy}
            aria-invalid={!!fieldError(save.error, 'tts.text') || undefined}
          />
        )}
      </Field>
      <div className="form-row">
        <SelectField
          label="Language"
          name="tts.language"
          value={language}
          onChange={(e) => setLanguage(e.target.value)}
          options={languages}
          error={fieldError(save.error, 'tts.language')}
        />
        <SelectField
          label="Voice"
          name="tts.voice"
          value={voice}
          onChange={(e) => setVoice(e.target.value)}
          options={VOICES.some((v) => v.value === voice) ? VOICES : [...VOICES, { value: voice, label: voice }]}
          error={fieldError(save.error, 'tts.voice')}
        />
      </div>
      {save.busy ? (
        <div className="muted" aria-live="polite">
          <Spinner small /> Speaking the text…
        </div>
      ) : null}
      <FormErrorBanner
        error={save.error}
        fields={['name', 'tts.text', 'tts.language', 'tts.voice']}
        title={media ? 'The prompt was not saved' : 'The prompt was not created'}
      />
    </FormModal>
  );
}

function RenameDialog({
  media,
  onClose,
  onDone,
}: {
  media: MediaDoc;
  onClose: () => void;
  onDone: (m: MediaDoc) => void;
}) {
  const { base } = useAccount();
  const [name, setName] = useState(media.name ?? '');
  const [description, setDescription] = useState(media.description ?? '');
  const [tried, setTried] = useState(false);
  const save = useAction(() =>
    replaceMedia(base, media, { name: name.trim(), description: description.trim() || undefined }),
  );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!name.trim()) return;
    const done = await save.run();
    if (done) onDone(done);
  };
  return (
    <FormModal
      title={`Rename “${media.name ?? 'prompt'}”`}
      submitLabel="Save"
      busy={save.busy}
      onClose={onClose}
      onSubmit={submit}
    >
      <NameField
        value={name}
        onChange={setName}
        error={(tried && !name.trim() ? 'Give the prompt a name.' : undefined) ?? fieldError(save.error, 'name')}
      />
      <TextField
        label="Description"
        name="description"
        maxLength={1024}
        value={description}
        onChange={(e) => setDescription(e.target.value)}
      />
      <FormErrorBanner error={save.error} fields={['name', 'description']} title="The prompt was not renamed" />
    </FormModal>
  );
}

/** A "Play" button that becomes an <audio> player (the file is fetched with the token, played from a blob: URL). */
function Player({ media }: { media: MediaDoc }) {
  const { base } = useAccount();
  const [src, setSrc] = useState<string>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError>();
  const urlRef = useRef<string | undefined>(undefined);
  useEffect(
    () => () => {
      if (urlRef.current) URL.revokeObjectURL(urlRef.current);
    },
    [],
  );
  // A new recording (TTS text changed) needs a new download.
  useEffect(() => {
    if (urlRef.current) URL.revokeObjectURL(urlRef.current);
    urlRef.current = undefined;
    setSrc(undefined);
  }, [media.content_length, media.duration_ms]);

  const load = async () => {
    setLoading(true);
    setError(undefined);
    try {
      const url = await blobUrl(`${base}/media/${media.id}/raw`);
      urlRef.current = url;
      setSrc(url);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setLoading(false);
    }
  };
  const label = media.name ?? 'prompt';
  if (!media.content_length && media.media_source !== 'tts') return <span className="badge badge-warn">no audio</span>;
  if (src)
    return (
      <span className="player">
        <audio controls autoPlay src={src} aria-label={`Audio of ${label}`} preload="metadata" />
      </span>
    );
  return (
    <span className="player">
      <Button className="btn-small" aria-label={`Play ${label}`} busy={loading} onClick={() => void load()}>
        ▶ Play
      </Button>
      {error ? (
        <span className="field-error" role="alert">
          {' '}
          {error.message}
        </span>
      ) : null}
    </span>
  );
}

export function MediaPage() {
  const { base } = useAccount();
  const admin = useIsAdmin();
  const confirm = useConfirm();
  const toast = useToast();
  const [query, setQuery] = useState('');
  const [dialog, setDialog] = useState<
    { kind: 'upload'; file?: File } | { kind: 'tts'; media?: MediaDoc } | { kind: 'rename'; media: MediaDoc }
  >();
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0);
  const [actionError, setActionError] = useState<{ title: string; error: ApiError }>();

  const list = useLoad(() => listAll<MediaDoc>(`${base}/media`), [base]);
  const shown = useMemo(
    () =>
      (list.data ?? []).filter((m) =>
        matches(query, m.name, m.description, m.tts?.text, m.media_source === 'tts' ? 'tts text' : 'upload'),
      ),
    [list.data, query],
  );

  const put = (m: MediaDoc) =>
    list.setData((rows) => {
      const r = rows ?? [];
      return r.some((x) => x.id === m.id) ? r.map((x) => (x.id === m.id ? m : x)) : [...r, m];
    });

  const remove = async (m: MediaDoc) => {
    setActionError(undefined);
    const ok = await confirm({
      title: `Delete “${m.name ?? 'prompt'}”?`,
      message: <p>Its audio is deleted too. Callflows that play this prompt will play nothing in its place.</p>,
      confirm: 'Delete prompt',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`${base}/media/${m.id}`);
      list.setData((rows) => (rows ?? []).filter((x) => x.id !== m.id));
      toast(`Deleted ${m.name ?? 'the prompt'}`);
    } catch (err) {
      setActionError({ title: `${m.name ?? 'The prompt'} was not deleted`, error: asApiError(err) });
    }
  };

  // Drop a file anywhere on the page to upload it.
  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
  const dropHandlers = admin
    ? {
        onDragEnter: (e: DragEvent) => {
          if (!hasFiles(e) || dialog) return;
          e.preventDefault();
          dragDepth.current += 1;
          setDragging(true);
        },
        onDragOver: (e: DragEvent) => {
          if (!hasFiles(e) || dialog) return;
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        },
        onDragLeave: () => {
          dragDepth.current = Math.max(0, dragDepth.current - 1);
          if (dragDepth.current === 0) setDragging(false);
        },
        onDrop: (e: DragEvent) => {
          if (!hasFiles(e) || dialog) return;
          e.preventDefault();
          dragDepth.current = 0;
          setDragging(false);
          const file = e.dataTransfer.files[0];
          if (file) setDialog({ kind: 'upload', file });
        },
      }
    : {};

  const actions = admin ? (
    <>
      <Button onClick={() => setDialog({ kind: 'tts' })}>+ Text to speech</Button>
      <Button variant="primary" onClick={() => setDialog({ kind: 'upload' })}>
        ↑ Upload audio
      </Button>
    </>
  ) : null;

  return (
    <div className="admin-page drop-page" {...dropHandlers} data-testid="media-page">
      {dragging ? (
        <div className="drop-overlay" aria-hidden>
          Drop the audio file to upload it
        </div>
      ) : null}
      <PageHeader
        title="Media"
        subtitle={
          admin
            ? 'Prompts your callflows play: upload audio files (or drop one on this page) or have Pivot speak a text.'
            : 'Prompts your callflows play.'
        }
        actions={actions}
      />
      {!admin ? <ReadOnlyNotice what="prompts" extra="You can still listen to them." /> : null}
      {actionError ? (
        <Notice kind="error" title={actionError.title} onDismiss={() => setActionError(undefined)}>
          {actionError.error.detail}
        </Notice>
      ) : null}
      <ListToolbar
        items={list.data}
        value={query}
        onChange={setQuery}
        label="Search prompts"
        placeholder="Search name or text"
      >
        {(total) => <ListCount shown={shown.length} total={total} one="prompt" many="prompts" />}
      </ListToolbar>
      <ListState
        what="prompts"
        load={list}
        items={list.data}
        shown={shown}
        query={query}
        onClearQuery={() => setQuery('')}
        empty={
          <EmptyState
            title="No prompts yet"
            action={
              actions ? (
                <div className="page-actions" style={{ justifyContent: 'center' }}>
                  {actions}
                </div>
              ) : null
            }
          >
            Prompts are the greetings and menus your callflows play. Upload a WAV or MP3 file (or drop it on this page),
            or type a text for Pivot to speak.
          </EmptyState>
        }
      >
        <div className="table-wrap">
          <table className="table admin-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Duration</th>
                <th scope="col">Created</th>
                <th scope="col">Listen</th>
                {admin ? (
                  <th scope="col" className="actions">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {shown.map((m) => {
                const label = m.name ?? 'prompt';
                return (
                  <tr key={m.id} data-media={m.id}>
                    <td data-label="Name">
                      <strong>{m.name ?? '(no name)'}</strong>
                      {m.media_source === 'tts' && m.tts?.text ? (
                        <span className="sub" title={m.tts.text}>
                          “{m.tts.text.length > 80 ? `${m.tts.text.slice(0, 80)}…` : m.tts.text}”
                        </span>
                      ) : m.description ? (
                        <span className="sub">{m.description}</span>
                      ) : null}
                    </td>
                    <td data-label="Type">
                      {m.media_source === 'tts' ? (
                        <span className="badge badge-info">TTS{m.tts?.language ? ` · ${m.tts.language}` : ''}</span>
                      ) : (
                        <span className="badge">
                          {m.content_type
                            ? m.content_type.replace('audio/', '').replace('basic', 'µ-law').toUpperCase()
                            : 'upload'}
                        </span>
                      )}
                    </td>
                    <td data-label="Duration">{formatDuration(m.duration_ms)}</td>
                    <td data-label="Created">{formatTime(m.created)}</td>
                    <td data-label="Listen">
                      <Player media={m} />
                    </td>
                    {admin ? (
                      <td className="actions">
                        <div className="row-actions">
                          <Button
                            variant="ghost"
                            className="btn-small"
                            aria-label={`${m.media_source === 'tts' ? 'Edit' : 'Rename'} ${label}`}
                            onClick={() =>
                              setDialog(
                                m.media_source === 'tts' ? { kind: 'tts', media: m } : { kind: 'rename', media: m },
                              )
                            }
                          >
                            {m.media_source === 'tts' ? 'Edit' : 'Rename'}
                          </Button>
                          <Button
                            variant="ghost"
                            className="btn-small btn-danger-text"
                            aria-label={`Delete ${label}`}
                            onClick={() => void remove(m)}
                          >
                            Delete
                          </Button>
                        </div>
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </ListState>
      {dialog?.kind === 'upload' ? (
        <UploadDialog
          initialFile={dialog.file}
          onClose={() => setDialog(undefined)}
          onDone={(m) => {
            setDialog(undefined);
            setQuery('');
            put(m);
            toast(`Uploaded ${m.name ?? 'the prompt'}`);
          }}
        />
      ) : null}
      {dialog?.kind === 'tts' ? (
        <TtsDialog
          media={dialog.media}
          onClose={() => setDialog(undefined)}
          onDone={(m, created) => {
            setDialog(undefined);
            if (created) setQuery('');
            put(m);
            toast(`${created ? 'Created' : 'Saved'} ${m.name ?? 'the prompt'}`);
          }}
        />
      ) : null}
      {dialog?.kind === 'rename' ? (
        <RenameDialog
          media={dialog.media}
          onClose={() => setDialog(undefined)}
          onDone={(m) => {
            setDialog(undefined);
            put(m);
            toast(`Renamed to ${m.name ?? ''}`);
          }}
        />
      ) : null}
    </div>
  );
}
