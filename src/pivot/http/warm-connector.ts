/**
 * A connector for undici that keeps one connection ahead for a busy origin. A pool opens a new connection only
 * when all of its connections are busy, that is in a burst of calls, and the request then waits for the TCP (and
 * TLS) handshake while the web server is busiest. When an origin that already has connections needs another, this
 * connector opens one more in the background and hands it to the next burst; a spare nobody takes is closed after
 * `idleMs` (before a typical server's 5 s keep-alive would close it). An origin used one request at a time never
 * gets a spare, so a quiet developer server sees no extra connections.
 */

import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

interface Origin {
  /** Connections handed to the pool and still open. */
  live: number;
  spare?: Socket;
  /** The spare's own error/close listener, removed when the pool takes it. */
  spareGone?: () => void;
  spareTimer?: NodeJS.Timeout;
  connecting: boolean;
}

export function warmConnector(options: buildConnector.BuildOptions, idleMs = 3_000): buildConnector.connector {
  const connect = buildConnector(options);
  const origins = new Map<string, Origin>();

  const dropSpare = (o: Origin): void => {
    clearTimeout(o.spareTimer);
    o.spare?.destroy();
    o.spare = undefined;
  };

  const track = (key: string, o: Origin, socket: Socket): void => {
    o.live++;
    socket.once('close', () => {
      o.live--;
      if (o.live === 0 && !o.spare && !o.connecting) origins.delete(key);
    });
  };

  const prepareSpare = (o: Origin, opts: buildConnector.Options): void => {
    if (o.spare || o.connecting) return;
    o.connecting = true;
    connect(opts, (err, socket) => {
      o.connecting = false;
      if (err || !socket) return; // the next real connection will report the error
      // An idle spare that fails is just dropped; the pool never saw it.
      const onGone = (): void => {
        if (o.spare === socket) o.spare = undefined;
        clearTimeout(o.spareTimer);
      };
      socket.once('error', onGone).once('close', onGone);
      o.spare = socket;
      o.spareGone = onGone;
      o.spareTimer = setTimeout(() => dropSpare(o), idleMs);
      o.spareTimer.unref();
    });
  };

  return (opts, callback) => {
    const key = `${opts.protocol}//${opts.hostname}:${opts.port}|${opts.servername ?? ''}|${opts.localAddress ?? ''}`;
    let o = origins.get(key);
    if (!o) origins.set(key, (o = { live: 0, connecting: false }));
    const origin = o;
    const spare = origin.spare;
    if (spare && !spare.destroyed) {
      clearTimeout(origin.spareTimer);
      origin.spare = undefined;
      spare.off('error', origin.spareGone!).off('close', origin.spareGone!);
      track(key, origin, spare);
      // Asynchronously, as a real connect would: undici's client is not re-entrant here.
      process.nextTick(callback, null, spare);
      prepareSpare(origin, opts);
      return;
    }
    const busy = origin.live > 0;
    connect(opts, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('connection failed'), null);
      track(key, origin, socket);
      callback(null, socket);
    });
    if (busy) prepareSpare(origin, opts);
  };
}
