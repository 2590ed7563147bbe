// JSGF grammars for pocketsphinx: a digit-string grammar, and one built from Gather `hints` with words the
// pronunciation dictionary knows (pocketsphinx refuses a grammar with unknown words).

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Twilio hint classes that stand for digit strings. */
const DIGIT_CLASSES = /^\$oov_class_(digit_sequence|digits|fulldigitsequence|postalcode|ordinal|operand)$/i;

/** One or more spoken digits (`oh` for zero too). */
export function digitsGrammar(): string {
  return `#JSGF V1.0;\ngrammar digits;\npublic <digits> = ( ${[...DIGIT_WORDS, 'oh'].join(' | ')} )+ ;\n`;
}

function words(phrase: string): string[] {
  return phrase
    .toLowerCase()
    .replace(/[0-9]/g, (d) => ` ${DIGIT_WORDS[Number(d)]} `)
    .replace(/[^a-z' ]+/g, ' ')
    .split(' ')
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter(Boolean);
}

/**
 * A grammar accepting exactly one of the hint phrases (a digit string for `$OOV_CLASS_DIGIT_SEQUENCE`). Phrases
 * with a word missing from `known` are dropped; returns undefined when nothing usable is left.
 */
export function hintsGrammar(
  hints: string | readonly string[],
  known: (word: string) => boolean,
): { jsgf: string; dropped: string[] } | undefined {
  const list = (typeof hints === 'string' ? hints.split(',') : hints).map((h) => h.trim()).filter(Boolean);
  const alternatives = new Set<string>();
  const dropped: string[] = [];
  let digits = false;
  for (const hint of list) {
    if (DIGIT_CLASSES.test(hint)) {
      digits = true;
      continue;
    }
    if (hint.startsWith('$')) {
      dropped.push(hint);
      continue;
    }
    const w = words(hint);
    if (w.length && w.every(known)) alternatives.add(w.join(' '));
    else dropped.push(hint);
  }
  if (digits) alternatives.add(`( ${[...DIGIT_WORDS, 'oh'].join(' | ')} )+`);
  if (alternatives.size === 0) return undefined;
  const jsgf = `#JSGF V1.0;\ngrammar hints;\npublic <hint> = ${[...alternatives].join(' | ')} ;\n`;
  return { jsgf, dropped };
}
