// Optional speech recognition on Debian's pocketsphinx (`apt-get install pocketsphinx pocketsphinx-en-us`), run
// as a child process on 16 kHz audio upsampled from the call. Debian 12 ships 5prealpha, whose CLI is
// `pocketsphinx_continuous`; the 5.x `pocketsphinx` CLI (JSON output) is used when that is what is installed.
// Accuracy is modest: a grammar from `hints` (or digits) helps a lot, the full language model much less.

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav, resampleMono } from '../prompts/audio.js';
import { firstLine, runProcess, which } from '../tts/process.js';
import { hintsGrammar } from './grammar.js';
import type { AsrOptions, AsrProvider, AsrResult } from './types.js';

export const DEFAULT_POCKETSPHINX_MODEL = '/usr/share/pocketsphinx/model/en-us';

export interface PocketsphinxOptions {
  /** Folder holding `en-us/` (acoustic model), `en-us.lm.bin` and `cmudict-en-us.dict`. */
  modelDir?: string;
  /** Executable (`pocketsphinx_continuous` or `pocketsphinx`); found on PATH by default. */
  command?: string;
  /** Per recognition, default 30 s. */
  timeoutMs?: number;
}

interface Model {
  hmm: string;
  lm: string;
  dict: string;
}

type Cli = { path: string; style: 'continuous' | 'v5' };

function modelFiles(dir: string): Model {
  return { hmm: join(dir, 'en-us'), lm: join(dir, 'en-us.lm.bin'), dict: join(dir, 'cmudict-en-us.dict') };
}

/** The pocketsphinx CLI on PATH, preferring `pocketsphinx_continuous` (5prealpha) over 5.x `pocketsphinx`. */
export function findPocketsphinx(command?: string): Cli | undefined {
  if (command) {
    const path = which(command);
    if (!path) return undefined;
    return { path, style: /pocketsphinx_continuous$/.test(path) ? 'continuous' : 'v5' };
  }
  const continuous = which('pocketsphinx_continuous');
  if (continuous) return { path: continuous, style: 'continuous' };
  const v5 = which('pocketsphinx');
  return v5 ? { path: v5, style: 'v5' } : undefined;
}

const dictionaries = new Map<string, Promise<Set<string>>>();

/** Words of a CMU dictionary (alternates `word(2)` folded), loaded once per file. */
function loadDictionary(path: string): Promise<Set<string>> {
  let p = dictionaries.get(path);
  if (!p) {
    p = readFile(path, 'utf8').then((text) => {
      const set = new Set<string>();
      for (const line of text.split('\n')) {
        const sp = line.indexOf(' ');
        if (sp > 0)
          set.add(
            line
              .slice(0, sp)
              .replace(/\(\d+\)$/, '')
              .toLowerCase(),
          );
      }
      return set;
    });
    p.catch(() => dictionaries.delete(path));
    dictionaries.set(path, p);
  }
  return p;
}

/** Reported when pocketsphinx gives no usable word posteriors. */
export const UNKNOWN_CONFIDENCE = 0.5;

const FILLERS = /^(<s>|<\/s>|<sil>|\(NULL\)|\[[A-Z]+\]|\+\+?[A-Z]+\+\+?)$/;

/** pocketsphinx_continuous `-time yes` output: hypothesis lines, each followed by `word start end posterior`. */
export function parseContinuousOutput(stdout: string): AsrResult | null {
  const hyps: string[] = [];
  const probs: number[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('INFO:')) continue;
    const m = /^(\S+) (-?[0-9.]+) (-?[0-9.]+) (-?[0-9.eE+-]+)$/.exec(line);
    if (m) {
      if (!FILLERS.test(m[1])) probs.push(Number(m[4]));
    } else {
      hyps.push(line);
    }
  }
  return result(hyps.join(' '), probs);
}

/** pocketsphinx 5.x JSON lines: `{"b":…,"d":…,"p":…,"t":"text","w":[…]}`. */
export function parseJsonOutput(stdout: string): AsrResult | null {
  const hyps: string[] = [];
  const probs: number[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    try {
      const j = JSON.parse(line) as { t?: string; p?: number };
      if (j.t) hyps.push(j.t);
      if (typeof j.p === 'number') probs.push(j.p);
    } catch {
      // not a result line
    }
  }
  return result(hyps.join(' '), probs);
}

function result(text: string, probs: number[]): AsrResult | null {
  const clean = text
    .replace(/\(\d+\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!clean) return null;
  const valid = probs.filter((p) => Number.isFinite(p) && p >= 0 && p <= 1);
  // Grammar (JSGF) decoding computes no posteriors and prints 1.0 for every word: that is "unknown", not "sure".
  const known = valid.length > 0 && !valid.every((p) => p === 1);
  const confidence = known ? valid.reduce((a, b) => a + b, 0) / valid.length : UNKNOWN_CONFIDENCE;
  return { text: clean, confidence: Math.round(confidence * 1000) / 1000 };
}

export class PocketsphinxProvider implements AsrProvider {
  readonly name = 'pocketsphinx';
  private readonly model: Model;
  private readonly command?: string;
  private readonly timeoutMs: number;

  constructor(opts: PocketsphinxOptions = {}) {
    this.model = modelFiles(opts.modelDir ?? DEFAULT_POCKETSPHINX_MODEL);
    this.command = opts.command;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** The binary is on PATH and the English model is installed. */
  available(): boolean {
    return (
      findPocketsphinx(this.command) !== undefined &&
      existsSync(this.model.hmm) &&
      existsSync(this.model.dict) &&
      existsSync(this.model.lm)
    );
  }

  async recognize(samples8k: Int16Array, opts: AsrOptions): Promise<AsrResult | null> {
    const cli = findPocketsphinx(this.command);
    if (!cli) throw new Error('pocketsphinx is not installed (apt-get install pocketsphinx pocketsphinx-en-us)');
    const lang = (opts.language || 'en-US').toLowerCase();
    if (!lang.startsWith('en')) {
      throw new Error(`pocketsphinx: no model for language '${opts.language}' (only English is installed)`);
    }
    if (samples8k.length < 800) return null; // under 0.1 s

    let grammar = opts.grammar;
    if (!grammar && opts.hints && (typeof opts.hints === 'string' ? opts.hints.trim() : opts.hints.length)) {
      const dict = await loadDictionary(this.model.dict);
      grammar = hintsGrammar(opts.hints, (w) => dict.has(w))?.jsgf;
    }

    const mono = new Float32Array(samples8k.length);
    for (let i = 0; i < mono.length; i++) mono[i] = samples8k[i] / 32768;
    const wav = encodeWav(resampleMono(mono, 8000, 16000), 16000, 1, { encoding: 'pcm16' });

    const dir = await mkdtemp(join(tmpdir(), 'pivot-asr-'));
    try {
      const audio = join(dir, 'in.wav');
      await writeFile(audio, wav);
      const args = ['-hmm', this.model.hmm, '-dict', this.model.dict];
      if (grammar) {
        const g = join(dir, 'grammar.gram');
        await writeFile(g, grammar);
        args.push('-jsgf', g);
      } else {
        args.push('-lm', this.model.lm);
      }
      const log = join(dir, 'log.txt');
      if (cli.style === 'continuous') args.push('-infile', audio, '-time', 'yes', '-logfn', log);
      else args.push('-loglevel', 'FATAL', 'single', audio);
      const res = await runProcess(cli.path, args, { timeoutMs: this.timeoutMs, maxStdoutBytes: 1024 * 1024 }).catch(
        (err: Error) => {
          throw new Error(`pocketsphinx: ${err.message}`);
        },
      );
      if (res.code !== 0) {
        const logged = await readFile(log, 'utf8').catch(() => '');
        const why =
          logged
            .split('\n')
            .filter((l) => /^(ERROR|FATAL)/.test(l))
            .pop() ?? firstLine(res.stderr);
        throw new Error(`pocketsphinx: ${why || `exit code ${res.code ?? res.signal}`}`);
      }
      const out = res.stdout.toString('utf8');
      return cli.style === 'continuous' ? parseContinuousOutput(out) : parseJsonOutput(out);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
