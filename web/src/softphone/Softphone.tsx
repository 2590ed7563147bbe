// The browser softphone: a real call from this browser into Pivot over WebRTC (PCMU, DTMF as RFC 4733
// telephone-event from RTCDTMFSender). Signalling is Pivot's own JSON over HTTP, non-trickle: the offer goes out once
// ICE gathering is complete (src/api/webphone.ts). The panel floats above every page, so the call's Live Debug can
// open beside it. Pages start a call with `useSoftphone().call(to, label)` ("Test call" on a Pivot action).

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, ApiError } from '../api/client';
import { useAccount } from '../api/session';
import { Button, IconButton } from '../components/ui';
import { leaveTo } from '../router';
import './softphone.css';

interface Softphone {
  /** Places a browser call to an extension or number of the acting account (opens the panel). */
  call(to: string, label?: string): void;
}

const SoftphoneContext = createContext<Softphone>({ call: () => {} });

export function useSoftphone(): Softphone {
  return useContext(SoftphoneContext);
}

type Phase = 'idle' | 'starting' | 'connecting' | 'calling' | 'ringing' | 'answered' | 'ended';

interface CallView {
  call_id: string;
  state: 'connecting' | 'calling' | 'ringing' | 'answered' | 'ended';
  answered_at?: string;
  end?: { reason: string; message: string; sip_status?: number };
}

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];
const GATHER_LIMIT_MS = 3000;

/** Resolves when ICE gathering is complete (or after a bound: host candidates on loopback come at once). */
function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', done);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, GATHER_LIMIT_MS);
  });
}

/** PCMU and telephone-event only: no transcoding on the server, and digits as RFC 4733 events. */
function preferPcmu(transceiver: RTCRtpTransceiver): void {
  const codecs = RTCRtpReceiver.getCapabilities('audio')?.codecs ?? [];
  const wanted = codecs.filter((c) => c.mimeType === 'audio/PCMU' || c.mimeType === 'audio/telephone-event');
  if (wanted.some((c) => c.mimeType === 'audio/PCMU')) transceiver.setCodecPreferences(wanted);
}

function useElapsed(since?: string): string {
  const [, tick] = useState(0);
  useEffect(() => {
    if (!since) return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [since]);
  if (!since) return '';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function SoftphoneProvider({ children }: { children: ReactNode }) {
  const { base } = useAccount();
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState('');
  const [label, setLabel] = useState<string>();
  const [phase, setPhase] = useState<Phase>('idle');
  const [callId, setCallId] = useState<string>();
  const [answeredAt, setAnsweredAt] = useState<string>();
  const [error, setError] = useState<string>();
  const [muted, setMuted] = useState(false);
  const [sent, setSent] = useState('');
  const pc = useRef<RTCPeerConnection | undefined>(undefined);
  const mic = useRef<MediaStream | undefined>(undefined);
  const audio = useRef<HTMLAudioElement>(null);
  const active = phase !== 'idle' && phase !== 'ended';

  const release = useCallback(() => {
    pc.current?.close();
    pc.current = undefined;
    mic.current?.getTracks().forEach((t) => t.stop());
    mic.current = undefined;
  }, []);

  const finish = useCallback(
    (message?: string) => {
      release();
      setPhase('ended');
      if (message) setError(message);
    },
    [release],
  );

  const dial = useCallback(
    async (to: string) => {
      if (!to.trim()) {
        setError('Type an extension or a number to call.');
        return;
      }
      release();
      setError(undefined);
      setSent('');
      setMuted(false);
      setAnsweredAt(undefined);
      setCallId(undefined);
      setPhase('starting');
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true }).catch((e: Error) => {
          throw new Error(`The microphone is not available: ${e.message}. Allow it for this site and try again.`);
        });
        mic.current = stream;
        const peer = new RTCPeerConnection({ iceServers: [] });
        pc.current = peer;
        const transceiver = peer.addTransceiver(stream.getAudioTracks()[0], { direction: 'sendrecv' });
        preferPcmu(transceiver);
        peer.ontrack = (e) => {
          if (audio.current) audio.current.srcObject = e.streams[0] ?? new MediaStream([e.track]);
        };
        peer.onconnectionstatechange = () => {
          if (peer.connectionState === 'failed') finish('The media connection to Pivot failed.');
        };
        await peer.setLocalDescription(await peer.createOffer());
        setPhase('connecting');
        await gathered(peer);
        const placed = await api.put<{ call_id: string; sdp: string; state: CallView['state'] }>(
          `${base}/webphone/calls`,
          {
            to: to.trim(),
            sdp: peer.localDescription!.sdp,
          },
        );
        if (pc.current !== peer) return; // hung up meanwhile
        setCallId(placed.call_id);
        // The call's Live Debug opens beside the phone: its requests appear there as they happen.
        void leaveTo(`/debug/${encodeURIComponent(placed.call_id)}`);
        await peer.setRemoteDescription({ type: 'answer', sdp: placed.sdp });
        setPhase(placed.state === 'ended' ? 'ended' : placed.state);
      } catch (err) {
        finish(err instanceof ApiError ? err.detail : (err as Error).message);
      }
    },
    [base, release, finish],
  );

  // The call's progress from the server (ringing, answered, ended and why): a light poll while it lasts.
  useEffect(() => {
    if (!callId || !active) return;
    let stopped = false;
    const poll = async () => {
      try {
        const view = await api.get<CallView>(`${base}/webphone/calls/${encodeURIComponent(callId)}`);
        if (stopped) return;
        if (view.answered_at) setAnsweredAt(view.answered_at);
        if (view.state === 'ended') finish(view.end && view.end.reason !== 'hangup' ? view.end.message : undefined);
        else setPhase(view.state);
      } catch (err) {
        if (!stopped && err instanceof ApiError && err.status === 404) finish('The call is over.');
      }
    };
    void poll();
    const t = setInterval(() => void poll(), 1000);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, [callId, active, base, finish]);

  // Nothing keeps running after the page goes away.
  useEffect(() => release, [release]);

  // On a wide screen the open phone sits beside the page rather than over it.
  useEffect(() => {
    document.body.classList.toggle('phone-open', open);
    return () => document.body.classList.remove('phone-open');
  }, [open]);

  const hangUp = useCallback(async () => {
    const id = callId;
    finish();
    if (id) await api.del(`${base}/webphone/calls/${encodeURIComponent(id)}`).catch(() => undefined);
  }, [callId, base, finish]);

  const press = (key: string) => {
    if (!active) {
      setTarget((t) => t + key);
      return;
    }
    const sender = pc.current?.getSenders().find((s) => s.track?.kind === 'audio');
    if (sender?.dtmf?.canInsertDTMF) sender.dtmf.insertDTMF(key, 120, 70);
    else if (callId) void api.post(`${base}/webphone/calls/${encodeURIComponent(callId)}/dtmf`, { digits: key });
    setSent((s) => (s + key).slice(-24));
  };

  const toggleMute = () => {
    const next = !muted;
    mic.current?.getAudioTracks().forEach((t) => (t.enabled = !next));
    setMuted(next);
  };

  const value = useMemo<Softphone>(
    () => ({
      call(to: string, name?: string) {
        setOpen(true);
        setTarget(to);
        setLabel(name);
        void dial(to);
      },
    }),
    [dial],
  );

  const elapsed = useElapsed(phase === 'answered' ? answeredAt : undefined);
  const status: Record<Phase, string> = {
    idle: 'Ready',
    starting: 'Opening the microphone…',
    connecting: 'Connecting…',
    calling: 'Calling…',
    ringing: 'Ringing…',
    answered: `In call ${elapsed}`,
    ended: 'Call ended',
  };

  return (
    <SoftphoneContext.Provider value={value}>
      {children}
      <audio ref={audio} autoPlay aria-hidden />
      {!open ? (
        <button type="button" className="phone-fab" onClick={() => setOpen(true)} aria-label="Open the phone">
          ☎ Phone
        </button>
      ) : (
        <section className="phone" aria-label="Phone">
          <header className="phone-head">
            <strong>Phone</strong>
            <IconButton label="Close the phone" onClick={() => setOpen(false)}>
              ✕
            </IconButton>
          </header>
          <form
            className="phone-target"
            onSubmit={(e) => {
              e.preventDefault();
              if (!active) void dial(target);
            }}
          >
            <label htmlFor="phone-to" className="sr-only">
              Number or extension
            </label>
            <input
              id="phone-to"
              value={target}
              placeholder="Extension or number"
              onChange={(e) => {
                setTarget(e.target.value);
                setLabel(undefined);
              }}
              readOnly={active}
              inputMode="tel"
              autoComplete="off"
            />
          </form>
          <div className="phone-status" role="status" aria-live="polite">
            <span className={`phone-dot phone-dot-${phase}`} aria-hidden />
            {status[phase]}
            {label ? <span className="muted"> · {label}</span> : null}
          </div>
          {error ? (
            <div className="phone-error" role="alert">
              {error}
            </div>
          ) : null}
          <div className="dialpad" role="group" aria-label="Dial pad">
            {KEYS.map((k) => (
              <button key={k} type="button" className="dialpad-key" onClick={() => press(k)} aria-label={`Key ${k}`}>
                {k}
              </button>
            ))}
          </div>
          {sent ? (
            <div className="phone-sent" aria-label="Digits sent">
              Sent: <code>{sent}</code>
            </div>
          ) : null}
          <div className="phone-actions">
            {active ? (
              <>
                <Button variant="danger" onClick={() => void hangUp()}>
                  Hang up
                </Button>
                <Button onClick={toggleMute} aria-pressed={muted}>
                  {muted ? 'Unmute' : 'Mute'}
                </Button>
              </>
            ) : (
              <Button variant="primary" onClick={() => void dial(target)}>
                Call
              </Button>
            )}
            {callId ? (
              <Button variant="ghost" onClick={() => void leaveTo(`/debug/${encodeURIComponent(callId)}`)}>
                Live Debug
              </Button>
            ) : null}
          </div>
        </section>
      )}
    </SoftphoneContext.Provider>
  );
}
