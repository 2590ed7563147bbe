import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml, type XmlElement } from '../../src/twiml/xml.js';

function parsed(text: string): XmlElement {
  const r = parseXml(text);
  assert.ok(r.ok, r.ok ? '' : `${r.message} at ${r.line}:${r.column}`);
  return r.root;
}

test('builds a tree with attributes, text, children and positions', () => {
  const root = parsed(
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say voice="alice" loop="2">Hello  world</Say>\n  <Gather numDigits="1"><Play>http://x/a.wav</Play></Gather>\n</Response>\n',
  );
  assert.equal(root.name, 'Response');
  assert.deepEqual([root.line, root.column], [2, 1]);
  assert.equal(root.text, '');
  assert.equal(root.children.length, 2);
  const [say, gather] = root.children;
  assert.equal(say.name, 'Say');
  assert.deepEqual(say.attributes, { voice: 'alice', loop: '2' });
  assert.equal(say.text, 'Hello  world');
  assert.deepEqual([say.line, say.column], [3, 3]);
  assert.equal(gather.children[0].name, 'Play');
  assert.equal(gather.children[0].text, 'http://x/a.wav');
  assert.deepEqual([gather.children[0].line, gather.children[0].column], [4, 25]);
});

test('entities, character references and CDATA', () => {
  const root = parsed(
    '<Response><Say>Tom &amp; Jerry &lt;3 &#233;&#x41;</Say><Say><![CDATA[a < b && c]]> end</Say><Play a="x&quot;y"/></Response>',
  );
  assert.equal(root.children[0].text, 'Tom & Jerry <3 éA');
  assert.equal(root.children[1].text, 'a < b && c end');
  assert.deepEqual(root.children[2].attributes, { a: 'x"y' });
});

test('mixed content keeps document order; text is direct text only, trimmed', () => {
  const root = parsed('<Response><Say>  Hi <break time="1s"/> there  </Say></Response>');
  const say = root.children[0];
  assert.equal(say.text, 'Hi  there');
  assert.equal(say.content.length, 3);
  assert.equal(say.content[0], '  Hi ');
  assert.equal((say.content[1] as XmlElement).name, 'break');
  assert.equal(say.content[2], ' there  ');
});

test('leading whitespace before <?xml is accepted, positions still refer to the original text', () => {
  const root = parsed('\n\n  <?xml version="1.0"?>\n<Response><Hangup/></Response>');
  assert.equal(root.name, 'Response');
  assert.deepEqual([root.line, root.column], [4, 1]);
  assert.deepEqual([root.children[0].line, root.children[0].column], [4, 11]);
  const bom = parsed('\uFEFF<Response/>');
  assert.equal(bom.name, 'Response');
});

test('tag spanning lines and CRLF line ends', () => {
  const root = parsed('<Response>\r\n<Dial\r\n  timeout="10">123</Dial>\r\n</Response>');
  assert.deepEqual([root.children[0].line, root.children[0].column], [2, 1]);
  assert.deepEqual(root.children[0].attributes, { timeout: '10' });
});

test('malformed XML: message, line and column', () => {
  assert.deepEqual(parseXml('<Response>\n  <Say>hi</Response>'), {
    ok: false,
    message: 'unexpected close tag',
    line: 2,
    column: 20,
  });
  assert.deepEqual(parseXml('<Response>\n<Play loop=2>x</Play></Response>'), {
    ok: false,
    message: 'unquoted attribute value',
    line: 2,
    column: 12,
  });
  assert.deepEqual(parseXml('<Response>\n<Say>Tom & Jerry</Say></Response>'), {
    ok: false,
    message: "unescaped '&' (write &amp;)",
    line: 2,
    column: 10,
  });
  assert.deepEqual(parseXml('<Response><Say a="x &amp y"/></Response>'), {
    ok: false,
    message: "unescaped '&' (write &amp;)",
    line: 1,
    column: 21,
  });
  // '&' is fine in CDATA and comments
  assert.equal(parseXml('<Response><!-- a & b --><Say><![CDATA[a & b]]></Say></Response>').ok, true);
  const unclosed = parseXml('<Response>\n<Say>hi</Say>\n');
  assert.ok(!unclosed.ok);
  assert.match(unclosed.message, /unclosed tag: Response/);
  assert.equal(unclosed.line, 2);
  const empty = parseXml('');
  assert.deepEqual(empty, { ok: false, message: 'document must contain a root element', line: 1, column: 1 });
  const trailing = parseXml('<Response/>junk');
  assert.deepEqual(trailing, { ok: false, message: 'text data outside of root node', line: 1, column: 12 });
  const undefinedEntity = parseXml('<Response>&nbsp;</Response>');
  assert.ok(!undefinedEntity.ok);
  assert.match(undefinedEntity.message, /undefined entity/);
});
