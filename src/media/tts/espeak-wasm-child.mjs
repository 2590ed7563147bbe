// Child process for the espeak-ng WASM build (npm `espeak-ng`, GPL-3.0-or-later). Pivot never imports that
// package into its own process: it runs this script with `node espeak-wasm-child.mjs`, writes
// `{"voice":"en-us","text":"…"}` to stdin and reads a 22050 Hz 16-bit WAV from stdout. Errors go to stderr with a
// non-zero exit code.

import { Buffer } from 'node:buffer';
import process from 'node:process';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);

let request;
try {
  request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
} catch {
  process.stderr.write('espeak-wasm-child: stdin is not JSON\n');
  process.exit(2);
}
const voice = typeof request.voice === 'string' && request.voice ? request.voice : 'en-us';
const text = typeof request.text === 'string' ? request.text : '';
if (!text.trim()) {
  process.stderr.write('espeak-wasm-child: empty text\n');
  process.exit(2);
}

const messages = [];
let espeak;
try {
  const { default: ESpeakNg } = await import('espeak-ng');
  espeak = await ESpeakNg({
    arguments: ['-b', '1', '-v', voice, '-w', '/out.wav', '--', text],
    print: (line) => messages.push(line),
    printErr: (line) => messages.push(line),
    quit: (status, toThrow) => {
      if (status !== 0) messages.push(`exit status ${status}`);
      throw toThrow;
    },
  });
} catch (err) {
  if (!messages.length) messages.push(err instanceof Error ? err.message : String(err));
}

let wav;
try {
  wav = espeak?.FS.readFile('/out.wav');
} catch {
  wav = undefined;
}
if (!wav || wav.length <= 44) {
  const why = messages.find((m) => /error/i.test(m)) ?? messages[0] ?? 'no audio produced';
  process.stderr.write(`espeak-ng (wasm): ${why}\n`);
  process.exit(1);
}
process.stdout.write(Buffer.from(wav.buffer, wav.byteOffset, wav.byteLength), () => process.exit(0));
