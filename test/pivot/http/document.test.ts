import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeContentType, parseDocument } from '../../../src/pivot/http/document.js';
import { findJsonError } from '../../../src/pivot/http/json-error.js';

const TWIML = '<?xml version="1.0"?><Response><Say>hi</Say></Response>';
const KAZOO = '{"module":"tts","data":{"text":"hi"}}';

function kindOf(contentType: string | null, body: string): string {
  const r = parseDocument({ contentType, body });
  return r.kind === 'error' ? `error ${r.code}` : r.kind;
}

test('normalizeContentType: cut at ;, trimmed, lower-cased, missing → text/xml', () => {
  assert.equal(normalizeContentType(' Application/JSON ; charset=UTF-8'), 'application/json');
  assert.equal(normalizeContentType(null), 'text/xml');
  assert.equal(normalizeContentType(''), 'text/xml');
  assert.equal(normalizeContentType('  ;charset=utf-8'), 'text/xml');
});

test('text/xml and application/xml: TwiML only', () => {
  for (const ct of ['text/xml', 'application/xml', 'TEXT/XML; charset=utf-8', 'application/twiml+xml']) {
    assert.equal(kindOf(ct, TWIML), 'twiml', ct);
    assert.equal(kindOf(ct, KAZOO), 'error 12100', ct);
  }
  const r = parseDocument({ contentType: 'text/xml', body: TWIML });
  assert.ok(r.kind === 'twiml');
  assert.equal(r.root.children[0].name, 'Say');
  assert.equal(r.root.children[0].text, 'hi');
});

test('missing Content-Type: treated as XML', () => {
  assert.equal(kindOf(null, TWIML), 'twiml');
  assert.equal(kindOf(null, KAZOO), 'error 12100');
});

test('application/json and +json: Kazoo JSON only', () => {
  for (const ct of ['application/json', 'application/json; charset=utf-8', 'application/vnd.kazoo+json']) {
    const r = parseDocument({ contentType: ct, body: KAZOO });
    assert.deepEqual(r, { kind: 'kazoo', flow: { module: 'tts', data: { text: 'hi' } } }, ct);
    assert.equal(kindOf(ct, TWIML), 'error 12100', ct);
  }
  // any JSON value is recognised; schema validation comes later
  assert.deepEqual(parseDocument({ contentType: 'application/json', body: '[1]' }), { kind: 'kazoo', flow: [1] });
});

test('other types: TwiML first, then JSON, else 12300', () => {
  assert.equal(kindOf('text/html', TWIML), 'twiml');
  assert.equal(kindOf('text/plain', KAZOO), 'kazoo');
  assert.equal(kindOf('application/octet-stream', KAZOO), 'kazoo');
  const html = parseDocument({ contentType: 'text/html; charset=utf-8', body: '<html><body>Oops</body></html>' });
  assert.deepEqual(html, {
    kind: 'error',
    code: 12300,
    message:
      'unsupported Content-Type text/html: body is neither TwiML nor JSON (root element must be <Response>, found <html> at line 1 column 1)',
    line: 1,
    column: 1,
  });
  const plain = parseDocument({ contentType: 'text/plain', body: '{"module": "tts",\n  "data": }' });
  assert.deepEqual(plain, {
    kind: 'error',
    code: 12300,
    message:
      "unsupported Content-Type text/plain: body is neither TwiML nor JSON (invalid JSON: Unexpected token '}', expected a value at line 2 column 11)",
    line: 2,
    column: 11,
  });
});

test('empty body: 11770 whatever the type', () => {
  for (const ct of [null, 'text/xml', 'application/json', 'text/html']) {
    assert.deepEqual(parseDocument({ contentType: ct, body: '' }), {
      kind: 'error',
      code: 11770,
      message: 'empty response body',
    });
  }
  assert.equal(kindOf('text/xml', ' \n\t '), 'error 11770');
});

test('malformed XML: 12100 with line and column', () => {
  const r = parseDocument({ contentType: 'text/xml', body: '<Response>\n  <Say>hi</Sey>\n</Response>' });
  assert.deepEqual(r, {
    kind: 'error',
    code: 12100,
    message: 'invalid XML: unexpected close tag at line 2 column 15',
    line: 2,
    column: 15,
  });
});

test('wrong root: 12102 with the root position', () => {
  const r = parseDocument({
    contentType: 'application/xml',
    body: '<?xml version="1.0"?>\n<Reply><Say>x</Say></Reply>',
  });
  assert.deepEqual(r, {
    kind: 'error',
    code: 12102,
    message: 'root element must be <Response>, found <Reply> at line 2 column 1',
    line: 2,
    column: 1,
  });
  // case matters, as in Twilio
  assert.equal(kindOf('text/xml', '<response/>'), 'error 12102');
});

test('JSON syntax errors: 12100 with line and column', () => {
  const body = '{\n  "module": "tts",\n    "data": {"text": "hi",}\n}';
  assert.deepEqual(parseDocument({ contentType: 'application/json', body }), {
    kind: 'error',
    code: 12100,
    message: "invalid JSON: Unexpected token '}', expected a property name at line 3 column 27",
    line: 3,
    column: 27,
  });
  const truncated = parseDocument({ contentType: 'application/json', body: '{"module": "tts"' });
  assert.deepEqual(truncated, {
    kind: 'error',
    code: 12100,
    message: "invalid JSON: Unexpected end of input, expected ',' or '}' at line 1 column 17",
    line: 1,
    column: 17,
  });
  const trailing = parseDocument({ contentType: 'application/json', body: '{}\n{}' });
  assert.ok(trailing.kind === 'error');
  assert.equal(trailing.message, "invalid JSON: Unexpected token '{' after the JSON value at line 2 column 1");
});

test('findJsonError: agrees with JSON.parse on what is valid', () => {
  const valid = [
    '0',
    '-1.5e+3',
    '"a\\u00e9\\n"',
    'true',
    'null',
    '[]',
    '{}',
    ' [1, {"a": [null, false]}] ',
    '[[[[]]]]',
  ];
  for (const v of valid) {
    JSON.parse(v);
    assert.equal(findJsonError(v), null, v);
  }
  const invalid: [string, string, number][] = [
    ['', 'Unexpected end of input, expected a value', 0],
    ['01', 'Invalid number', 0],
    ['[1,]', "Unexpected token ']', expected a value", 3],
    ['{"a" 1}', "Unexpected token '1', expected ':'", 5],
    ['{a:1}', "Unexpected token 'a', expected a property name or '}'", 1],
    ['"abc', 'Unterminated string', 0],
    ['"a\\x"', "Bad escaped character 'x'", 3],
    ['"a\tb"', 'Bad control character in string', 2],
    ['[1 2]', "Unexpected token '2', expected ',' or ']'", 3],
    ['tru', "Unexpected token 't', expected a value", 0],
  ];
  for (const [text, message, offset] of invalid) {
    assert.throws(() => JSON.parse(text));
    assert.deepEqual(findJsonError(text), { message, offset }, text);
  }
});
