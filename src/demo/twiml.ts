// The demo IVR's TwiML documents. Relative URLs resolve against the document's URL (RFC 3986), so the same
// documents work behind any public URL.

/** How many times the greeting is repeated without a key before the demo says goodbye. */
export const MAX_TRIES = 3;

export const WELCOME =
  'Welcome to Pivot. Press 1 to hear the time, 2 to record a message, 3 to hear your digits, ' +
  'or 0 for a menu built as a Kazoo callflow.';
export const BACK = 'Main menu. Press 1 for the time, 2 to record, 3 for your digits, or 0 for the Kazoo menu.';
export const BACK_URL = '/demo/voice?back=1';

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function response(inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n${inner}</Response>\n`;
}

const say = (text: string): string => `  <Say>${escape(text)}</Say>\n`;
const redirect = (url: string): string => `  <Redirect>${escape(url)}</Redirect>\n`;

/** The greeting in a one-key Gather; no key: the greeting again (`tries` counts), then goodbye. */
export function voiceDocument(opts: { tries: number; back: boolean }): string {
  const tries = Math.max(1, opts.tries);
  const gather =
    `  <Gather numDigits="1" action="/demo/choice" timeout="6">\n` +
    `  ${say(opts.back ? BACK : WELCOME)}` +
    `  </Gather>\n`;
  const after =
    tries >= MAX_TRIES
      ? say('We did not get a key. Goodbye.') + '  <Hangup/>\n'
      : redirect(`/demo/voice?tries=${tries + 1}`);
  return response(gather + after);
}

/** "It is 3:42 PM." */
export function timeInWords(now: Date): string {
  const h = now.getHours();
  const m = now.getMinutes();
  return `It is ${h % 12 || 12}:${String(m).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}.`;
}

export function timeDocument(now: Date): string {
  return response(say(timeInWords(now)) + redirect(BACK_URL));
}

export function recordDocument(): string {
  return response(
    say('Record your message after the beep. Press pound when done.') +
      '  <Record maxLength="20" finishOnKey="#" playBeep="true" action="/demo/recorded"/>\n' +
      say('I did not hear anything.') +
      redirect(BACK_URL),
  );
}

export function recordedDocument(recordingUrl: string | undefined): string {
  if (!recordingUrl || !/^https?:\/\//i.test(recordingUrl)) {
    return response(say('Sorry, the recording is missing.') + redirect(BACK_URL));
  }
  return response(say('You said:') + `  <Play>${escape(recordingUrl)}</Play>\n` + redirect(BACK_URL));
}

export function digitsDocument(): string {
  return response(
    '  <Gather finishOnKey="#" timeout="10" action="/demo/echo">\n' +
      `  ${say('Type some digits, then press pound.')}` +
      '  </Gather>\n' +
      say('You did not type anything.') +
      redirect(BACK_URL),
  );
}

const KEY_NAMES: Record<string, string> = { '*': 'star', '#': 'pound' };

/** "You typed 4, 2." */
export function echoText(digits: string): string {
  const keys = [...digits].filter((d) => /^[0-9*#A-D]$/.test(d)).map((d) => KEY_NAMES[d] ?? d);
  return keys.length ? `You typed ${keys.join(', ')}.` : 'You did not type any digits.';
}

export function echoDocument(digits: string): string {
  return response(say(echoText(digits)) + redirect(BACK_URL));
}

export function notAnOptionDocument(): string {
  return response(say('Sorry, that is not an option.') + redirect(BACK_URL));
}
