import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendQuery, decodeForm, encodeForm, flattenParams } from '../../../src/pivot/http/form.js';

test('flattenParams: scalars, booleans, numbers, null/undefined dropped', () => {
  assert.deepEqual(flattenParams({ a: 'x', b: true, c: false, d: 42, e: null, f: undefined, g: 1.5 }), [
    ['a', 'x'],
    ['b', 'true'],
    ['c', 'false'],
    ['d', '42'],
    ['g', '1.5'],
  ]);
});

test('flattenParams: nested objects become a[b], arrays a[], PHP style', () => {
  const pairs = flattenParams({
    Digits: { default: '123', custom_name: '56' },
    'Custom-SIP-Headers': { 'X-Foo': 'bar' },
    'User-ID': ['u1', 'u2'],
    deep: { x: { y: 'z' }, list: [{ k: 'v' }, 'w'] },
    empty: {},
    none: [],
  });
  assert.deepEqual(pairs, [
    ['Digits[default]', '123'],
    ['Digits[custom_name]', '56'],
    ['Custom-SIP-Headers[X-Foo]', 'bar'],
    ['User-ID[]', 'u1'],
    ['User-ID[]', 'u2'],
    ['deep[x][y]', 'z'],
    ['deep[list][][k]', 'v'],
    ['deep[list][]', 'w'],
  ]);
});

test('flattenParams: dates are ISO-8601', () => {
  assert.deepEqual(flattenParams({ at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) }), [
    ['at', '2024-01-02T03:04:05.000Z'],
  ]);
});

test('encodeForm: keys and values percent-encoded, space as +', () => {
  const body = encodeForm(flattenParams({ Digits: { default: '123' }, From: '+1 555 0100', 'a&b': 'c=d/é' }));
  assert.equal(body, 'Digits%5Bdefault%5D=123&From=%2B1+555+0100&a%26b=c%3Dd%2F%C3%A9');
  assert.deepEqual(decodeForm(body), [
    ['Digits[default]', '123'],
    ['From', '+1 555 0100'],
    ['a&b', 'c=d/é'],
  ]);
  assert.equal(encodeForm([]), '');
});

test('appendQuery: merges with an existing query using &', () => {
  const pairs: [string, string][] = [
    ['CallSid', 'CA1'],
    ['Digits[default]', '1 2'],
  ];
  assert.equal(appendQuery('http://h/p', pairs), 'http://h/p?CallSid=CA1&Digits%5Bdefault%5D=1+2');
  assert.equal(appendQuery('http://h/p?x=1', pairs), 'http://h/p?x=1&CallSid=CA1&Digits%5Bdefault%5D=1+2');
  assert.equal(appendQuery('http://h/p?', pairs), 'http://h/p?CallSid=CA1&Digits%5Bdefault%5D=1+2');
  assert.equal(appendQuery('http://h/p?x=1&', pairs), 'http://h/p?x=1&CallSid=CA1&Digits%5Bdefault%5D=1+2');
  assert.equal(appendQuery('http://h/p?x=1#frag', [['a', 'b']]), 'http://h/p?x=1&a=b#frag');
  assert.equal(appendQuery('http://h/p?x=1', []), 'http://h/p?x=1');
});
