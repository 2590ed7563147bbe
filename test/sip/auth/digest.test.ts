import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  authorize,
  computeDigest,
  credentialsHeaderFor,
  DigestServer,
  parseAuthHeader,
  pickChallenge,
  type VerifyResult,
} from '../../../src/sip/digest.js';
import { Headers, type SipRequest } from '../../../src/sip/message.js';

function request(method: string, uri: string, auth?: string | string[], header = 'Authorization'): SipRequest {
  const headers = new Headers();
  for (const a of auth === undefined ? [] : Array.isArray(auth) ? auth : [auth]) headers.append(header, a);
  return { kind: 'request', method, uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
}

const fixed = (password: string | undefined) => async () => password;

class Clock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
}

// ---- RFC 2617 §3.5 ------------------------------------------------------------------------------------------

const RFC2617_CHALLENGE = `Digest
                 realm="testrealm@host.com",
                 qop="auth,auth-int",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41"`;

const RFC2617_CREDENTIALS = `Digest username="Mufasa",
                 realm="testrealm@host.com",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 uri="/dir/index.html",
                 qop=auth,
                 nc=00000001,
                 cnonce="0a4f113b",
                 response="6629fae49393a05397450978507c4ef1",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41"`;

// ---- RFC 7616 §3.9.1 ----------------------------------------------------------------------------------------

const RFC7616 = {
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  sha256: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  md5: '8ca523f5e9506fed4657c9700eebdbec',
};
const rfc7616Challenge = (alg: string) => `Digest
       realm="http-auth@example.org",
       qop="auth, auth-int",
       algorithm=${alg},
       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
const rfc7616Credentials = (alg: string, response: string) => `Digest username="Mufasa",
       realm="http-auth@example.org",
       uri="/dir/index.html",
       algorithm=${alg},
       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
       nc=00000001,
       cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
       qop=auth,
       response="${response}",
       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;

describe('digest: RFC test vectors', () => {
  it('RFC 2617 §3.5 (MD5, qop=auth): client produces the RFC response', () => {
    const value = authorize(RFC2617_CHALLENGE, {
      username: 'Mufasa',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      cnonce: '0a4f113b',
      nc: 1,
    });
    const p = parseAuthHeader(value)!.params;
    assert.equal(p.response, '6629fae49393a05397450978507c4ef1');
    assert.equal(p.nc, '00000001');
    assert.equal(p.qop, 'auth');
    assert.equal(p.cnonce, '0a4f113b');
    assert.equal(p.opaque, '5ccc069c403ebaf9f0171e9517f40e41');
    assert.equal(p.realm, 'testrealm@host.com');
  });

  it('RFC 2617 §3.5: the server recomputes the RFC response (correct → only the foreign nonce is refused)', async () => {
    const server = new DigestServer();
    const req = request('GET', '/dir/index.html', RFC2617_CREDENTIALS);
    // The response is right, the nonce is not one of ours: stale=true is the RFC 7616 §3.3 answer.
    assert.deepEqual(await server.verify(req, 'testrealm@host.com', fixed('Circle Of Life')), {
      ok: false,
      reason: 'stale',
      username: 'Mufasa',
      detail: 'nonce not issued here',
    });
    const wrong = await server.verify(req, 'testrealm@host.com', fixed('Circle of Life'));
    assert.equal(wrong.ok === false && wrong.reason, 'bad_response');
  });

  for (const [alg, expected] of [
    ['SHA-256', RFC7616.sha256],
    ['MD5', RFC7616.md5],
  ] as const) {
    it(`RFC 7616 §3.9.1 ${alg}: client and computeDigest produce the RFC response`, () => {
      const value = authorize(rfc7616Challenge(alg), {
        username: 'Mufasa',
        password: 'Circle of Life',
        method: 'GET',
        uri: '/dir/index.html',
        cnonce: RFC7616.cnonce,
        nc: '00000001',
      });
      const p = parseAuthHeader(value)!.params;
      assert.equal(p.response, expected);
      assert.equal(p.algorithm, alg);
      assert.equal(p.opaque, RFC7616.opaque);
      assert.equal(
        computeDigest({
          algorithm: alg,
          username: 'Mufasa',
          realm: RFC7616.realm,
          password: 'Circle of Life',
          method: 'GET',
          uri: '/dir/index.html',
          nonce: RFC7616.nonce,
          qop: 'auth',
          nc: '00000001',
          cnonce: RFC7616.cnonce,
        }),
        expected,
      );
    });

    it(`RFC 7616 §3.9.1 ${alg}: the server accepts the RFC response and rejects a tampered one`, async () => {
      const server = new DigestServer();
      const ok = await server.verify(
        request('GET', '/dir/index.html', rfc7616Credentials(alg, expected)),
        RFC7616.realm,
        fixed('Circle of Life'),
      );
      assert.equal(ok.ok === false && ok.reason, 'stale'); // correct digest, foreign nonce
      const tampered = expected.slice(0, -1) + (expected.endsWith('0') ? '1' : '0');
      const bad = await server.verify(
        request('GET', '/dir/index.html', rfc7616Credentials(alg, tampered)),
        RFC7616.realm,
        fixed('Circle of Life'),
      );
      assert.equal(bad.ok === false && bad.reason, 'bad_response');
    });
  }

  it('pickChallenge prefers SHA-256 over MD5 whatever the order, and skips unusable ones', () => {
    const md5 = rfc7616Challenge('MD5');
    const sha = rfc7616Challenge('SHA-256');
    assert.equal(pickChallenge([md5, sha]), sha);
    assert.equal(pickChallenge([sha, md5]), sha);
    assert.equal(pickChallenge(['Basic realm="x"', 'Digest realm="r", nonce="n", algorithm=AKAv1-MD5', md5]), md5);
    assert.equal(
      pickChallenge(['Digest realm="r", nonce="n", algorithm=SHA-512-256', sha]),
      pickChallenge(['Digest realm="r", nonce="n", algorithm=SHA-512-256']),
    );
    assert.equal(pickChallenge(['Basic realm="x"']), undefined);
    assert.equal(pickChallenge([]), undefined);
  });

  it('credentialsHeaderFor maps 401/407 challenge headers', () => {
    assert.equal(credentialsHeaderFor('WWW-Authenticate'), 'Authorization');
    assert.equal(credentialsHeaderFor('proxy-authenticate'), 'Proxy-Authorization');
  });
});

describe('digest: auth-param parser', () => {
  it('handles quoted and token values, commas and escapes inside quotes, odd spacing', () => {
    const h = parseAuthHeader('Digest realm="a, \\"b\\" c" ,nonce = abc  qop="auth,auth-int",stale=TRUE,,  x');
    assert.ok(h);
    assert.equal(h.scheme, 'Digest');
    assert.equal(h.params.realm, 'a, "b" c');
    assert.equal(h.params.nonce, 'abc');
    assert.equal(h.params.qop, 'auth,auth-int');
    assert.equal(h.params.stale, 'TRUE');
    assert.equal(h.params.x, '');
  });

  it('keeps the first of duplicated names, lower-cases names, survives garbage', () => {
    const h = parseAuthHeader('DIGEST Realm="one", REALM="two", "stray, nonce="n');
    assert.equal(h?.params.realm, 'one');
    assert.equal(parseAuthHeader(''), undefined);
    assert.equal(parseAuthHeader('  "quoted" x=y'), undefined);
    assert.deepEqual({ ...parseAuthHeader('Digest')!.params }, {});
  });
});

describe('digest: server round trips', () => {
  const realm = 'acme.pivot.test';
  const uri = 'sip:acme.pivot.test';

  async function roundTrip(
    server: DigestServer,
    alg: 'MD5' | 'SHA-256',
    opts: { nc?: number; password?: string; noQop?: boolean; realm?: string; proxy?: boolean } = {},
  ): Promise<{ result: VerifyResult; auth: string; challenge: string }> {
    let challenge = server.challenge(realm, { algorithm: alg, proxy: opts.proxy }).value;
    if (opts.noQop) challenge = challenge.replace(/, qop="auth"/, '');
    const auth = authorize(challenge, {
      username: '1001',
      password: opts.password ?? 's3cret',
      method: 'REGISTER',
      uri,
      nc: opts.nc,
    });
    const header = opts.proxy ? 'Proxy-Authorization' : 'Authorization';
    const result = await server.verify(request('REGISTER', uri, auth, header), opts.realm ?? realm, async (u) =>
      u === '1001' ? 's3cret' : undefined,
    );
    return { result, auth, challenge };
  }

  for (const alg of ['MD5', 'SHA-256'] as const) {
    it(`${alg} with qop=auth`, async () => {
      const server = new DigestServer();
      const { result, auth, challenge } = await roundTrip(server, alg);
      assert.deepEqual(result, { ok: true, username: '1001', algorithm: alg });
      assert.match(challenge, new RegExp(`^Digest realm="${realm}", nonce="[^"]+", opaque="[^"]+", algorithm=${alg}`));
      assert.match(challenge, /qop="auth"/);
      assert.match(auth, /qop=auth, nc=00000001$/);
    });

    it(`${alg} without qop (RFC 2069 compatibility)`, async () => {
      const server = new DigestServer();
      const { result, auth } = await roundTrip(server, alg, { noQop: true });
      assert.doesNotMatch(auth, /qop|nc=|cnonce/);
      assert.deepEqual(result, { ok: true, username: '1001', algorithm: alg });
      const strict = new DigestServer({ requireQop: true });
      const r = await roundTrip(strict, alg, { noQop: true });
      assert.equal(r.result.ok === false && r.result.reason, 'malformed');
    });
  }

  it('MD5-sess and SHA-256-sess answers verify', async () => {
    const server = new DigestServer();
    for (const alg of ['MD5-sess', 'SHA-256-sess', 'SHA-512-256']) {
      const challenge = server.challenge(realm).value.replace('algorithm=MD5', `algorithm=${alg}`);
      const auth = authorize(challenge, { username: '1001', password: 's3cret', method: 'INVITE', uri });
      assert.match(auth, new RegExp(`algorithm=${alg}`));
      assert.deepEqual(await server.verify(request('INVITE', uri, auth), realm, fixed('s3cret')), {
        ok: true,
        username: '1001',
        algorithm: alg,
      });
    }
  });

  it('Proxy-Authenticate / Proxy-Authorization', async () => {
    const server = new DigestServer();
    assert.equal(server.challenge(realm, { proxy: true }).header, 'Proxy-Authenticate');
    assert.equal(server.challenge(realm).header, 'WWW-Authenticate');
    const { result } = await roundTrip(server, 'MD5', { proxy: true });
    assert.equal(result.ok, true);
  });

  it('a nonce expires after its lifetime → stale, and a stale challenge says so', async () => {
    const clock = new Clock();
    const server = new DigestServer({ clock, nonceLifetimeMs: 300_000 });
    const challenge = server.challenge(realm).value;
    const answer = (nc: number) =>
      request(
        'REGISTER',
        uri,
        authorize(challenge, { username: '1001', password: 's3cret', method: 'REGISTER', uri, nc }),
      );
    clock.t += 299_000;
    assert.equal((await server.verify(answer(1), realm, fixed('s3cret'))).ok, true);
    clock.t += 2_000;
    assert.deepEqual(await server.verify(answer(2), realm, fixed('s3cret')), {
      ok: false,
      reason: 'stale',
      username: '1001',
      detail: 'nonce expired',
    });
    // An expired nonce with a wrong password is a bad response, not stale (stale promises the password is right).
    const wrong = request(
      'REGISTER',
      uri,
      authorize(challenge, { username: '1001', password: 'x', method: 'REGISTER', uri }),
    );
    assert.equal(((await server.verify(wrong, realm, fixed('s3cret'))) as { reason: string }).reason, 'bad_response');
    assert.match(server.challenge(realm, { stale: true }).value, /, stale=true$/);
    assert.doesNotMatch(server.challenge(realm).value, /stale/);
  });

  it('a nonce from another node sharing the secret verifies; another secret → stale', async () => {
    const secret = Buffer.from('shared-secret-shared-secret-0123');
    const a = new DigestServer({ secret });
    const b = new DigestServer({ secret });
    const c = new DigestServer();
    const challenge = a.challenge(realm, { algorithm: 'SHA-256' }).value;
    const auth = authorize(challenge, { username: '1001', password: 's3cret', method: 'REGISTER', uri });
    assert.equal((await b.verify(request('REGISTER', uri, auth), realm, fixed('s3cret'))).ok, true);
    const r = await c.verify(request('REGISTER', uri, auth), realm, fixed('s3cret'));
    assert.equal(r.ok === false && r.reason, 'stale');
  });

  it('a nonce issued for one realm is not valid in another realm', async () => {
    const server = new DigestServer();
    const challenge = server.challenge('other.realm').value.replace('other.realm', realm);
    const auth = authorize(challenge, { username: '1001', password: 's3cret', method: 'REGISTER', uri });
    const r = await server.verify(request('REGISTER', uri, auth), realm, fixed('s3cret'));
    assert.equal(r.ok === false && r.reason, 'stale');
  });

  it('tampered response, wrong password → bad_response', async () => {
    const server = new DigestServer();
    const { result } = await roundTrip(server, 'SHA-256', { password: 'guess' });
    assert.deepEqual(result, { ok: false, reason: 'bad_response', username: '1001', detail: undefined });
    const challenge = server.challenge(realm).value;
    const auth = authorize(challenge, { username: '1001', password: 's3cret', method: 'REGISTER', uri });
    const tampered = auth.replace(/response="([0-9a-f])/, (_m, c: string) => `response="${c === 'a' ? 'b' : 'a'}`);
    const r = await server.verify(request('REGISTER', uri, tampered), realm, fixed('s3cret'));
    assert.equal(r.ok === false && r.reason, 'bad_response');
    // Same credentials replayed on another method do not verify either.
    const r2 = await server.verify(request('INVITE', uri, auth), realm, fixed('s3cret'));
    assert.equal(r2.ok === false && r2.reason, 'bad_response');
  });

  it('wrong realm, unknown user, missing, malformed', async () => {
    const server = new DigestServer();
    const { result } = await roundTrip(server, 'MD5', { realm: 'other.realm' });
    assert.deepEqual(result, { ok: false, reason: 'wrong_realm', username: '1001' });

    const challenge = server.challenge(realm).value;
    const auth = authorize(challenge, { username: 'ghost', password: 'x', method: 'REGISTER', uri });
    const unknown = await server.verify(request('REGISTER', uri, auth), realm, async () => undefined);
    assert.deepEqual(unknown, { ok: false, reason: 'unknown_user', username: 'ghost', detail: undefined });

    assert.deepEqual(await server.verify(request('REGISTER', uri), realm, fixed('x')), {
      ok: false,
      reason: 'missing',
    });
    assert.deepEqual(await server.verify(request('REGISTER', uri, 'Basic Zm9vOmJhcg=='), realm, fixed('x')), {
      ok: false,
      reason: 'missing',
    });

    const good = authorize(challenge, { username: '1001', password: 's3cret', method: 'REGISTER', uri });
    const cases: [string, string][] = [
      ['no response', good.replace(/, response="[^"]*"/, '')],
      ['short response', good.replace(/response="[0-9a-f]{4}/, 'response="')],
      ['unknown algorithm', good.replace('algorithm=MD5', 'algorithm=AKAv1-MD5')],
      ['qop without nc', good.replace(/, nc=\w+/, '')],
      ['unknown qop', good.replace('qop=auth', 'qop=auth-conf')],
    ];
    for (const [what, value] of cases) {
      const r = await server.verify(request('REGISTER', uri, value), realm, fixed('s3cret'));
      assert.equal(r.ok === false && r.reason, 'malformed', what);
    }
    // With strictUri the digest uri must be the Request-URI (modulo case and parameters); by default a differing
    // uri (SIPp puts the server's address there) is accepted since the response is computed over it.
    const strict = new DigestServer({ secret: Buffer.alloc(32, 7), strictUri: true });
    const sv = authorize(strict.challenge(realm).value, {
      username: '1001',
      password: 's3cret',
      method: 'REGISTER',
      uri,
    });
    const r = await strict.verify(request('REGISTER', 'sip:elsewhere.test', sv), realm, fixed('s3cret'));
    assert.equal(r.ok === false && r.reason, 'malformed');
    const lenient = await server.verify(request('REGISTER', 'sip:elsewhere.test', good), realm, fixed('s3cret'));
    assert.equal(lenient.ok, true);
    const r2 = await strict.verify(
      request('REGISTER', 'sip:ACME.pivot.test;transport=tcp', sv),
      realm,
      fixed('s3cret'),
    );
    assert.equal(r2.ok, true);
  });

  it('picks the credentials of the right realm among several', async () => {
    const server = new DigestServer();
    const auth = authorize(server.challenge(realm).value, {
      username: '1001',
      password: 's3cret',
      method: 'REGISTER',
      uri,
    });
    const other = 'Digest username="x", realm="proxy.example", nonce="n", uri="sip:x", response="00"';
    const r = await server.verify(request('REGISTER', uri, [other, auth]), realm, fixed('s3cret'));
    assert.equal(r.ok, true);
    const onlyOther = await server.verify(request('REGISTER', uri, [other]), realm, fixed('s3cret'));
    assert.deepEqual(onlyOther, { ok: false, reason: 'wrong_realm', username: 'x' });
    const proxyOnly = await server.verify(request('REGISTER', uri, auth), realm, fixed('s3cret'), { header: 'proxy' });
    assert.equal(proxyOnly.ok === false && proxyOnly.reason, 'missing');
  });

  it('a replayed nonce count is refused as stale; the next nc is accepted', async () => {
    const server = new DigestServer();
    const challenge = server.challenge(realm).value;
    const answer = (nc: number) =>
      request(
        'REGISTER',
        uri,
        authorize(challenge, { username: '1001', password: 's3cret', method: 'REGISTER', uri, nc }),
      );
    const first = answer(1);
    assert.equal((await server.verify(first, realm, fixed('s3cret'))).ok, true);
    assert.deepEqual(await server.verify(first, realm, fixed('s3cret')), {
      ok: false,
      reason: 'stale',
      username: '1001',
      detail: 'nonce count replayed',
    });
    assert.equal((await server.verify(answer(2), realm, fixed('s3cret'))).ok, true);
    // A failed attempt does not burn the nc.
    const bad = request(
      'REGISTER',
      uri,
      authorize(challenge, { username: '1001', password: 'nope', method: 'REGISTER', uri, nc: 3 }),
    );
    assert.equal((await server.verify(bad, realm, fixed('s3cret'))).ok, false);
    assert.equal((await server.verify(answer(3), realm, fixed('s3cret'))).ok, true);
  });

  it('the replay cache is bounded', async () => {
    const server = new DigestServer({ replayCacheSize: 2 });
    const challenge = server.challenge(realm).value;
    const answer = (nc: number) =>
      request(
        'REGISTER',
        uri,
        authorize(challenge, { username: '1001', password: 's3cret', method: 'REGISTER', uri, nc }),
      );
    for (const nc of [1, 2, 3]) assert.equal((await server.verify(answer(nc), realm, fixed('s3cret'))).ok, true);
    // nc=1 fell out of the two-entry cache; 3 is still remembered.
    assert.equal((await server.verify(answer(1), realm, fixed('s3cret'))).ok, true);
    assert.equal((await server.verify(answer(3), realm, fixed('s3cret'))).ok, false);
  });

  it('restricting accepted algorithms', async () => {
    const server = new DigestServer({ acceptAlgorithms: ['SHA-256'] });
    const { result } = await roundTrip(server, 'MD5');
    assert.equal(result.ok === false && result.reason, 'malformed');
    assert.equal((await roundTrip(server, 'SHA-256')).result.ok, true);
  });
});

describe('digest: client', () => {
  it('escapes quotes in usernames and handles auth-int only', () => {
    const v = authorize('Digest realm="r", nonce="n", qop="auth-int"', {
      username: 'a"b\\c',
      password: 'p',
      method: 'INVITE',
      uri: 'sip:x',
      body: 'v=0\r\n',
      cnonce: 'c',
    });
    const p = parseAuthHeader(v)!.params;
    assert.equal(p.username, 'a"b\\c');
    assert.equal(p.qop, 'auth-int');
    assert.equal(
      p.response,
      computeDigest({
        algorithm: 'MD5',
        username: 'a"b\\c',
        realm: 'r',
        password: 'p',
        method: 'INVITE',
        uri: 'sip:x',
        nonce: 'n',
        qop: 'auth-int',
        nc: '00000001',
        cnonce: 'c',
        body: 'v=0\r\n',
      }),
    );
  });

  it('formats nc, omits cnonce without qop, adds it for -sess', () => {
    assert.match(
      authorize('Digest realm="r", nonce="n", qop="auth"', {
        username: 'u',
        password: 'p',
        method: 'BYE',
        uri: 'sip:x',
        nc: 255,
      }),
      /nc=000000ff/,
    );
    assert.doesNotMatch(
      authorize('Digest realm="r", nonce="n"', { username: 'u', password: 'p', method: 'BYE', uri: 'sip:x' }),
      /cnonce/,
    );
    assert.match(
      authorize('Digest realm="r", nonce="n", algorithm=MD5-sess', {
        username: 'u',
        password: 'p',
        method: 'BYE',
        uri: 'sip:x',
      }),
      /cnonce="[0-9a-f]+"/,
    );
  });

  it('throws on challenges it cannot answer', () => {
    const o = { username: 'u', password: 'p', method: 'BYE', uri: 'sip:x' };
    assert.throws(() => authorize('Basic realm="r"', o), /not a Digest/);
    assert.throws(() => authorize('Digest realm="r"', o), /nonce/);
    assert.throws(() => authorize('Digest realm="r", nonce="n", algorithm=AKAv1-MD5', o), /algorithm/);
    assert.throws(() => authorize('Digest realm="r", nonce="n", qop="auth-conf"', o), /qop/);
    assert.throws(() => authorize('Digest realm="r", nonce="n", qop="auth"', { ...o, nc: 0 }), /nc/);
  });
});
