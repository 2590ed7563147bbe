import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { cidrContains, formatIp, parseCidr, parseIp } from '../../../src/pivot/http/cidr.js';
import { DEFAULT_DENY, UrlPolicy, UrlPolicyError } from '../../../src/pivot/http/url-policy.js';

function ip(s: string): Uint8Array {
  const b = parseIp(s);
  assert.ok(b, `parses ${s}`);
  return b;
}

test('cidr: IPv4, IPv6, IPv4-mapped IPv6 and host bits', () => {
  const link = parseCidr('169.254.0.0/16');
  assert.equal(link.prefix, 112);
  assert.equal(cidrContains(link, ip('169.254.169.254')), true);
  assert.equal(cidrContains(link, ip('::ffff:169.254.169.254')), true);
  assert.equal(cidrContains(link, ip('::ffff:a9fe:a9fe')), true);
  assert.equal(cidrContains(link, ip('169.255.0.1')), false);
  assert.equal(cidrContains(parseCidr('10.1.2.3/8'), ip('10.200.0.1')), true);
  assert.equal(cidrContains(parseCidr('fe80::/10'), ip('fe80::1%eth0')), true);
  assert.equal(cidrContains(parseCidr('fe80::/10'), ip('febf:ffff::1')), true);
  assert.equal(cidrContains(parseCidr('fe80::/10'), ip('fec0::1')), false);
  assert.equal(cidrContains(parseCidr('fd00:ec2::254'), ip('fd00:ec2:0:0:0:0:0:254')), true);
  assert.equal(cidrContains(parseCidr('::ffff:127.0.0.0/104'), ip('127.9.9.9')), true);
  assert.equal(cidrContains(parseCidr('0.0.0.0/0'), ip('::1')), false);
  assert.equal(cidrContains(parseCidr('::/0'), ip('1.2.3.4')), true);
  assert.equal(formatIp(ip('::ffff:a9fe:a9fe')), '169.254.169.254');
  assert.equal(formatIp(ip('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.equal(formatIp(ip('[::1]')), '::1');
  assert.equal(parseIp('example.com'), null);
  assert.throws(() => parseCidr('10.0.0.0/33'), /invalid CIDR "10.0.0.0\/33": bad prefix/);
  assert.throws(() => parseCidr('nope/8'), /invalid CIDR "nope\/8": bad address/);
});

test('policy: only http and https', async () => {
  const policy = new UrlPolicy();
  assert.deepEqual(await policy.check('ftp://example.com/x'), {
    ok: false,
    error: { code: 11100, kind: 'policy', message: 'URL must be http or https: ftp://example.com/x' },
  });
  assert.deepEqual(policy.checkSync('file:///etc/passwd'), {
    ok: false,
    error: { code: 11100, kind: 'policy', message: 'URL must be http or https: file:///etc/passwd' },
  });
  assert.deepEqual(policy.checkSync('not a url'), {
    ok: false,
    error: { code: 11100, kind: 'policy', message: 'invalid URL: not a url' },
  });
  const ok = policy.checkSync('https://example.com/voice');
  assert.equal(ok.ok, true);
});

test('policy: unresolvable host is 11210', async () => {
  const r = await new UrlPolicy().check('http://nonexistent.invalid/');
  assert.equal(r.ok, false);
  assert.ok(!r.ok);
  assert.equal(r.error.code, 11210);
  assert.equal(r.error.kind, 'dns');
  assert.match(r.error.message, /^cannot resolve host nonexistent\.invalid/);
});

test('policy: default deny covers metadata addresses, in every spelling', async () => {
  const policy = new UrlPolicy();
  assert.deepEqual(await policy.check('http://169.254.169.254/latest/meta-data/'), {
    ok: false,
    error: { code: 11200, kind: 'policy', message: 'URL policy denies 169.254.169.254 (169.254.0.0/16)' },
  });
  // decimal form, normalised by WHATWG URL parsing
  const dec = await policy.check('http://2852039166/');
  assert.ok(!dec.ok);
  assert.equal(dec.error.message, 'URL policy denies 169.254.169.254 (169.254.0.0/16)');
  const mapped = await policy.check('http://[::ffff:169.254.169.254]/');
  assert.ok(!mapped.ok);
  assert.equal(mapped.error.message, 'URL policy denies ::ffff:a9fe:a9fe (169.254.0.0/16)');
  const v6 = await policy.check('http://[fd00:ec2::254]/');
  assert.ok(!v6.ok);
  assert.equal(v6.error.message, 'URL policy denies fd00:ec2::254 (fd00:ec2::254/128)');
  const ll = policy.checkSync('http://[fe80::1]:8080/');
  assert.ok(!ll.ok);
  assert.equal(ll.error.message, 'URL policy denies fe80::1 (fe80::/10)');
  const ali = await policy.check('http://100.100.100.200/');
  assert.ok(!ali.ok);
  assert.equal(ali.error.message, 'URL policy denies 100.100.100.200 (100.100.100.200/32)');
  const zero = await policy.check('http://0.0.0.0:8000/');
  assert.ok(!zero.ok);
  assert.equal(zero.error.message, 'URL policy denies 0.0.0.0 (0.0.0.0/8)');
  assert.ok(DEFAULT_DENY.includes('169.254.0.0/16'));
});

test('policy: loopback allowed by default, denied when the operator adds it; allow wins over deny', async () => {
  const open = await new UrlPolicy().check('http://127.0.0.1:8000/x');
  assert.ok(open.ok);
  assert.deepEqual(open.addresses, [{ address: '127.0.0.1', family: 4 }]);
  const v6 = await new UrlPolicy().check('http://[::1]:8000/x');
  assert.ok(v6.ok);
  assert.deepEqual(v6.addresses, [{ address: '::1', family: 6 }]);

  const closed = new UrlPolicy({ deny: ['127.0.0.0/8', '::1/128'] });
  const r = await closed.check('http://127.0.0.1:8000/x');
  assert.ok(!r.ok);
  assert.equal(r.error.message, 'URL policy denies 127.0.0.1 (127.0.0.0/8)');
  const r6 = await closed.check('http://[::1]/');
  assert.ok(!r6.ok);
  assert.equal(r6.error.message, 'URL policy denies ::1 (::1/128)');

  const allowed = new UrlPolicy({ deny: ['127.0.0.0/8'], allow: ['127.0.0.1/32', '169.254.169.254'] });
  assert.equal((await allowed.check('http://127.0.0.1/')).ok, true);
  const other = await allowed.check('http://127.0.0.2/');
  assert.ok(!other.ok);
  assert.equal(other.error.message, 'URL policy denies 127.0.0.2 (127.0.0.0/8)');
  assert.equal((await allowed.check('http://169.254.169.254/')).ok, true);
});

test('policy: every resolved address is checked', async () => {
  const answers: Record<string, LookupAddress[]> = {
    'mixed.test': [
      { address: '203.0.113.7', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ],
    'clean.test': [
      { address: '203.0.113.7', family: 4 },
      { address: '2001:db8::7', family: 6 },
    ],
    'v6meta.test': [{ address: '::ffff:169.254.169.254', family: 6 }],
  };
  const policy = new UrlPolicy({
    resolve: async (h) => {
      const a = answers[h];
      if (!a) throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
      return a;
    },
  });
  const mixed = await policy.check('https://mixed.test/voice');
  assert.ok(!mixed.ok);
  assert.deepEqual(mixed.error, {
    code: 11200,
    kind: 'policy',
    message: 'URL policy denies 169.254.169.254 (169.254.0.0/16)',
  });
  const clean = await policy.check('https://clean.test/voice');
  assert.ok(clean.ok);
  assert.deepEqual(clean.addresses, answers['clean.test']);
  const v6 = await policy.check('https://v6meta.test/');
  assert.ok(!v6.ok);
  assert.equal(v6.error.message, 'URL policy denies ::ffff:169.254.169.254 (169.254.0.0/16)');
  const missing = await policy.check('https://missing.test/');
  assert.ok(!missing.ok);
  assert.deepEqual(missing.error, {
    code: 11210,
    kind: 'dns',
    message: 'cannot resolve host missing.test (ENOTFOUND)',
  });
});

test('policy.lookup: net.connect shapes, refuses denied answers', async () => {
  const policy = new UrlPolicy({
    deny: ['10.0.0.0/8'],
    resolve: async (h) =>
      h === 'bad.test'
        ? [{ address: '10.1.1.1', family: 4 }]
        : [
            { address: '192.0.2.1', family: 4 },
            { address: '2001:db8::1', family: 6 },
          ],
  });
  const one = await new Promise<[unknown, string, number]>((resolve) =>
    policy.lookup('good.test', { family: 6 }, (err: unknown, address: string, family: number) =>
      resolve([err, address, family]),
    ),
  );
  assert.deepEqual(one, [null, '2001:db8::1', 6]);
  const all = await new Promise<[unknown, LookupAddress[]]>((resolve) =>
    policy.lookup('good.test', { all: true }, (err: unknown, addresses: LookupAddress[]) => resolve([err, addresses])),
  );
  assert.deepEqual(all, [
    null,
    [
      { address: '192.0.2.1', family: 4 },
      { address: '2001:db8::1', family: 6 },
    ],
  ]);
  const bad = await new Promise<unknown>((resolve) => policy.lookup('bad.test', {}, (err: unknown) => resolve(err)));
  assert.ok(bad instanceof UrlPolicyError);
  assert.deepEqual(bad.policyError, {
    code: 11200,
    kind: 'policy',
    message: 'URL policy denies 10.1.1.1 (10.0.0.0/8)',
  });
});

test('IPv6 forms that carry a denied IPv4 address are denied (NAT64, 6to4, IPv4-compatible)', async () => {
  const policy = new UrlPolicy();
  for (const host of ['[64:ff9b::a9fe:a9fe]', '[2002:a9fe:a9fe::1]', '[::a9fe:a9fe]']) {
    const r = await policy.check(`http://${host}/latest/meta-data/`);
    assert.equal(r.ok, false, host);
    if (!r.ok) assert.match(r.error.message, /169\.254\.0\.0\/16/);
  }
  assert.equal((await policy.check('http://[64:ff9b::808:808]/')).ok, true, 'NAT64 of a public address is fine');
});
