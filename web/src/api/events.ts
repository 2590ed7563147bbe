// Live events from /v2/websocket (src/api/events.ts on the server): one socket per subscriber, authenticated by its
// first message, reconnecting with a growing delay when the connection drops. Pages use `useLiveEvents`.

import { useEffect, useRef, useState } from 'react';
import { currentToken } from './client';

export interface LiveEvent<T = Record<string, unknown>> {
  name: 'call.started' | 'call.answered' | 'call.ended' | 'pivot.debug';
  account_id: string;
  data: T;
}

export type LiveState = 'connecting' | 'live' | 'offline';

/**
 * Subscribes the acting account (and its sub-accounts) to `bindings` (`call.*`, `pivot.debug`, `*`) while the
 * component is mounted; `onEvent` gets every event. Returns the connection state for a "Live" indicator.
 */
export function useLiveEvents(
  accountId: string | undefined,
  bindings: string,
  onEvent: (e: LiveEvent) => void,
): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;

  useEffect(() => {
    if (!accountId) return;
    let socket: WebSocket | undefined;
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let delay = 500;

    const open = (): void => {
      setState('connecting');
      const url = new URL('/v2/websocket', window.location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      socket = new WebSocket(url);
      socket.onopen = () => {
        socket!.send(
          JSON.stringify({
            action: 'subscribe',
            auth_token: currentToken(),
            data: { account_id: accountId, binding: bindings.split(',') },
          }),
        );
      };
      socket.onmessage = (m) => {
        let msg: { action?: string; status?: string } & Partial<LiveEvent>;
        try {
          msg = JSON.parse(String(m.data));
        } catch {
          return;
        }
        if (msg.action === 'reply') {
          if (msg.status === 'success') {
            delay = 500;
            setState('live');
          }
        } else if (msg.action === 'event' && msg.name) {
          handler.current(msg as LiveEvent);
        }
      };
      socket.onclose = (e) => {
        if (closed) return;
        setState('offline');
        // 4401: the token no longer works; the session's own expiry handling takes over, no retry loop.
        if (e.code === 4401) return;
        retry = setTimeout(open, delay);
        delay = Math.min(delay * 2, 10_000);
      };
    };
    open();
    return () => {
      closed = true;
      clearTimeout(retry);
      socket?.close();
    };
  }, [accountId, bindings]);

  return state;
}
