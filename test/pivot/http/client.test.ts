import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseQuery } from 'node:querystring';
import twilio from 'twilio';
import {
  DEFAULT_USER_AGENT,
  PIVOT_VERSION,
  fetchUrl,
  postForm,
  sendCallback,
  sendWebhook,
  type WebhookRequest,
} from '../../../src/pivot/http/client.js';
import { verifyPivotSignature } from '../../../src/pivot/http/signing.js';
import { UrlPolicy } from '../../../src/pivot/http/url-policy.js';
import { freePort, startServer, type TestServer } from '../../helpers/http-server.js';

const KEY = 'signing-key-0123456789';
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Say>hi</Say></Response>';

function webhook(url: string, extra: Partial<WebhookRequest> = {}): WebhookRequest {
  return { url, method: 'POST', params: { CallSid: 'CA1' }, bodyFormat: 'form', timeoutMs: 3000, ...extra };
}

async function withServer(
  handler: Parameters<typeof startServer>[0],
  body: (s: TestServer) => Promise<void>,
  host?: string,
): Promise<void> {
  const s = await startServer(handler, host);
  try {
    await body(s);
  } finally {
    await s.close();
  }
}

const ok = (contentType = 'text/xml', text = TWIML): Parameters<typeof startServer>[0] => {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': contentType, 'X-Trace': 'Abc' });
    res.end(text);
  };
};

test('version and user agent come from package.json', () => {
  assert.match(PIVOT_VERSION, /^\d+\.\d+\.\d+/);
  assert.equal(DEFAULT_USER_AGENT, `Pivot/${PIVOT_VERSION}`);
});

test('GET: params in the query string, merged with the existing query, signed as Twilio does', async () => {
  await withServer(ok(), async (s) => {
    const x = await sendWebhook(
      {
        url: `${s.base}/voice?app=1`,
        method: 'GET',
        params: { CallSid: 'CA1', From: '+1 555', Digits: { default: '12' }, Flag: true, Skip: undefined },
        bodyFormat: 'json', // ignored for GET
        timeoutMs: 3000,
        signingKey: KEY,
      },
      { policy: new UrlPolicy() },
    );
    assert.equal(x.error, undefined);
    assert.equal(s.received.length, 1);
    const r = s.received[0];
    assert.equal(r.method, 'GET');
    assert.equal(r.body, '');
    assert.equal(r.path, '/voice');
    assert.equal(r.url, `${s.base}/voice?app=1&CallSid=CA1&From=%2B1+555&Digits%5Bdefault%5D=12&Flag=true`);
    assert.equal(x.request.url, r.url);
    assert.equal(x.request.method, 'GET');
    assert.equal(x.request.body, null);
    assert.deepEqual(x.request.redirects, []);
    assert.equal(r.headers['content-type'], undefined);
    assert.equal(r.headers['user-agent'], `Pivot/${PIVOT_VERSION}`);
    assert.equal(r.headers['accept'], 'application/xml, text/xml, application/json');
    const sig = r.headers['x-twilio-signature'] as string;
    assert.equal(twilio.validateRequest(KEY, sig, r.url, {}), true);
    assert.equal(twilio.validateRequest('wrong', sig, r.url, {}), false);
    const pivotSig = r.headers['x-pivot-signature'] as string;
    assert.match(pivotSig, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(verifyPivotSignature(KEY, pivotSig, { method: 'GET', url: r.url, body: '' }), true);
    assert.equal(x.request.headers['X-Twilio-Signature'], sig);

    assert.ok(x.response);
    assert.equal(x.response.status, 200);
    assert.equal(x.response.body, TWIML);
    assert.equal(x.response.contentType, 'text/xml');
    assert.equal(x.response.headers['x-trace'], 'Abc');
    assert.equal(x.response.headers['content-type'], 'text/xml');
    assert.equal(typeof x.durationMs, 'number');
    assert.ok(x.durationMs >= x.response.durationMs);
  });
});

test('POST form: nested keys, Content-Type, validateRequest with the parsed body', async () => {
  await withServer(ok(), async (s) => {
    const params = {
      CallSid: 'CA1',
      From: '+15551234567',
      Digits: { default: '123', pin: '9' },
      'Custom-SIP-Headers': { 'X-Foo': 'a b&c' },
      'User-ID': ['u2', 'u1'],
      Empty: '',
      'Key With Space': 'é',
    };
    const x = await sendWebhook(webhook(`${s.base}/voice.php?x=1`, { params, signingKey: KEY }), {
      policy: new UrlPolicy(),
    });
    assert.equal(x.error, undefined);
    const r = s.received[0];
    assert.equal(r.method, 'POST');
    assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(r.url, `${s.base}/voice.php?x=1`);
    assert.equal(
      r.body,
      'CallSid=CA1&From=%2B15551234567&Digits%5Bdefault%5D=123&Digits%5Bpin%5D=9&Custom-SIP-Headers%5BX-Foo%5D=a+b%26c&User-ID%5B%5D=u2&User-ID%5B%5D=u1&Empty=&Key+With+Space=%C3%A9',
    );
    assert.equal(x.request.body, r.body);
    const parsed = parseQuery(r.body);
    assert.deepEqual(parsed['Digits[default]'], '123');
    assert.deepEqual(parsed['User-ID[]'], ['u2', 'u1']);
    const sig = r.headers['x-twilio-signature'] as string;
    assert.equal(twilio.validateRequest(KEY, sig, r.url, parsed), true);
    assert.equal(twilio.validateRequest(KEY, sig, r.url, { ...parsed, CallSid: 'CA2' }), false);
    assert.equal(
      verifyPivotSignature(KEY, r.headers['x-pivot-signature'] as string, { method: 'POST', url: r.url, body: r.body }),
      true,
    );
  });
});

test('POST JSON: bodySHA256 in the URL, validateRequestWithBody accepts it', async () => {
  await withServer(ok('application/json', '{"module":"tts","data":{"text":"hi"}}'), async (s) => {
    const params = { CallSid: 'CA1', Digits: { default: '1' }, n: 5, ok: true, gone: undefined };
    const x = await sendWebhook(webhook(`${s.base}/hook?x=1`, { params, bodyFormat: 'json', signingKey: KEY }), {
      policy: new UrlPolicy(),
    });
    assert.equal(x.error, undefined);
    const r = s.received[0];
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(r.body), { CallSid: 'CA1', Digits: { default: '1' }, n: 5, ok: true });
    assert.match(r.url, new RegExp(`^${s.base}/hook\\?x=1&bodySHA256=[0-9a-f]{64}$`));
    const sig = r.headers['x-twilio-signature'] as string;
    assert.equal(twilio.validateRequestWithBody(KEY, sig, r.url, r.body), true);
    assert.equal(twilio.validateRequestWithBody(KEY, sig, r.url, r.body.replace('CA1', 'CA2')), false);
    assert.equal(
      verifyPivotSignature(KEY, r.headers['x-pivot-signature'] as string, { method: 'POST', url: r.url, body: r.body }),
      true,
    );
    assert.equal(x.response?.contentType, 'application/json');
  });
});

test('headers: no signatures without a key; extra headers and user agent override', async () => {
  await withServer(ok(), async (s) => {
    const x = await sendWebhook(
      webhook(`${s.base}/`, { userAgent: 'Custom/1', extraHeaders: { 'X-Account': 'acct1', 'User-Agent': 'ignored' } }),
      { policy: new UrlPolicy() },
    );
    assert.equal(x.error, undefined);
    const h = s.received[0].headers;
    assert.equal(h['x-twilio-signature'], undefined);
    assert.equal(h['x-pivot-signature'], undefined);
    assert.equal(h['x-account'], 'acct1');
    assert.equal(h['user-agent'], 'Custom/1');
  });
});

test('credentials in the URL become Basic auth and are not signed or recorded', async () => {
  await withServer(ok(), async (s) => {
    const url = `http://user:p%40ss@127.0.0.1:${s.port}/secure#frag`;
    const x = await sendWebhook(webhook(url, { method: 'GET', params: { a: '1' }, signingKey: KEY }), {
      policy: new UrlPolicy(),
    });
    assert.equal(x.error, undefined);
    const r = s.received[0];
    assert.equal(r.headers['authorization'], `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    assert.equal(r.url, `${s.base}/secure?a=1`);
    assert.equal(x.request.url, `${s.base}/secure?a=1`);
    assert.equal(x.request.headers['Authorization'], 'Basic [redacted]');
    assert.equal(twilio.validateRequest(KEY, r.headers['x-twilio-signature'] as string, r.url, {}), true);
  });
});

test('status codes: only 200 and 206 succeed; others are errors with the response kept', async () => {
  const statuses = [200, 206, 201, 204, 301, 404, 500];
  await withServer(
    (req, res) => {
      const code = Number(req.url?.split('/')[1]);
      const headers: Record<string, string> = { 'Content-Type': 'text/plain', 'X-Code': String(code) };
      if (code === 301) headers['Location'] = '/200';
      res.writeHead(code, headers);
      res.end(code === 204 ? undefined : code === 200 || code === 206 ? TWIML : `body of ${code}`);
    },
    async (s) => {
      const policy = new UrlPolicy();
      for (const code of statuses) {
        const x = await sendWebhook(webhook(`${s.base}/${code}`), { policy }); // POST: 301 is not followed
        assert.ok(x.response, `response kept for ${code}`);
        assert.equal(x.response.status, code);
        assert.equal(x.response.headers['x-code'], String(code));
        if (code === 200 || code === 206) {
          assert.equal(x.error, undefined, `${code} succeeds`);
          assert.equal(x.response.body, TWIML);
        } else {
          assert.deepEqual(x.error, { code: 11200, kind: 'status', message: `HTTP ${code} from ${s.base}/${code}` });
          assert.equal(x.response.body, code === 204 ? '' : `body of ${code}`);
        }
      }
      // the POST 301 was not followed
      assert.deepEqual(
        s.received.map((r) => r.path),
        statuses.map((c) => `/${c}`),
      );
    },
  );
});

test('timeout: a server that never answers', async () => {
  await withServer(
    () => {
      // never respond
    },
    async (s) => {
      const x = await sendWebhook(webhook(`${s.base}/slow`, { timeoutMs: 300 }), { policy: new UrlPolicy() });
      assert.deepEqual(x.error, { code: 11200, kind: 'timeout', message: 'timed out after 300 ms' });
      assert.equal(x.response, undefined);
      assert.equal(s.received.length, 1);
      assert.equal(x.request.url, `${s.base}/slow`);
    },
  );
});

test('timeout: headers sent, then the body stalls', async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.write('<Response><Say>');
      // and never finish
    },
    async (s) => {
      const x = await sendWebhook(webhook(`${s.base}/stall`, { timeoutMs: 300 }), { policy: new UrlPolicy() });
      assert.deepEqual(x.error, { code: 11200, kind: 'timeout', message: 'timed out after 300 ms' });
      assert.equal(x.response?.status, 200);
      assert.equal(x.response?.contentType, 'text/xml');
      assert.equal(x.response?.body, '<Response><Say>');
    },
  );
});

test('connection refused', async () => {
  const port = await freePort();
  const x = await sendWebhook(webhook(`http://127.0.0.1:${port}/`), { policy: new UrlPolicy() });
  assert.deepEqual(x.error, { code: 11205, kind: 'connect', message: `connection refused: 127.0.0.1:${port}` });
  assert.equal(x.response, undefined);
});

test('connection reset before any response', async () => {
  await withServer(
    (req) => {
      req.socket.destroy();
    },
    async (s) => {
      const x = await sendWebhook(webhook(`${s.base}/reset`), { policy: new UrlPolicy() });
      assert.equal(x.error?.code, 11205);
      assert.equal(x.error?.kind, 'connect');
      assert.match(x.error?.message ?? '', new RegExp(`127\\.0\\.0\\.1:${s.port}$`));
    },
  );
});

test('body too large: 11750, first maxBodyBytes kept', async () => {
  await withServer(ok('text/xml', `<Response>${'x'.repeat(5000)}</Response>`), async (s) => {
    const x = await sendWebhook(webhook(`${s.base}/big`, { maxBodyBytes: 1000 }), { policy: new UrlPolicy() });
    assert.deepEqual(x.error, {
      code: 11750,
      kind: 'too_large',
      message: `response body from ${s.base}/big is larger than 1000 bytes`,
    });
    assert.equal(x.response?.body.length, 1000);
    assert.equal(x.response?.body.slice(0, 11), '<Response>x');
  });
});

test('empty body: 11770 for an empty or blank 200', async () => {
  for (const text of ['', '  \n ']) {
    await withServer(ok('text/xml', text), async (s) => {
      const x = await sendWebhook(webhook(`${s.base}/empty`), { policy: new UrlPolicy() });
      assert.deepEqual(x.error, { code: 11770, kind: 'empty', message: `empty response body from ${s.base}/empty` });
      assert.equal(x.response?.status, 200);
      assert.equal(x.response?.body, text);
    });
  }
});

test('redirects: a GET chain is followed, the final hop re-signed', async () => {
  await withServer(
    (req, res) => {
      if (req.url?.startsWith('/a')) {
        res.writeHead(302, { Location: '/b?step=2' });
        res.end('moved');
      } else if (req.url?.startsWith('/b')) {
        res.writeHead(301, { Location: `http://127.0.0.1:${(req.socket.localPort ?? 0).toString()}/c#frag` });
        res.end();
      } else if (req.url?.startsWith('/c')) {
        res.writeHead(307, { Location: 'd' });
        res.end();
      } else {
        res.writeHead(200, { 'Content-Type': 'text/xml' });
        res.end(TWIML);
      }
    },
    async (s) => {
      const x = await sendWebhook(
        webhook(`${s.base}/a`, { method: 'GET', params: { CallSid: 'CA1' }, signingKey: KEY }),
        {
          policy: new UrlPolicy(),
        },
      );
      assert.equal(x.error, undefined);
      assert.equal(x.response?.status, 200);
      assert.equal(x.response?.body, TWIML);
      assert.deepEqual(
        s.received.map((r) => r.url),
        [`${s.base}/a?CallSid=CA1`, `${s.base}/b?step=2`, `${s.base}/c`, `${s.base}/d`],
      );
      assert.equal(x.request.url, `${s.base}/d`);
      assert.deepEqual(x.request.redirects, [`${s.base}/a?CallSid=CA1`, `${s.base}/b?step=2`, `${s.base}/c`]);
      for (const r of s.received) {
        assert.equal(r.method, 'GET');
        assert.equal(twilio.validateRequest(KEY, r.headers['x-twilio-signature'] as string, r.url, {}), true, r.url);
      }
    },
  );
});

test('redirects: a loop stops after 10 with 11215', async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(302, { Location: '/loop' });
      res.end('again');
    },
    async (s) => {
      const x = await sendWebhook(webhook(`${s.base}/loop`, { method: 'GET', params: {} }), {
        policy: new UrlPolicy(),
      });
      assert.deepEqual(x.error, {
        code: 11215,
        kind: 'redirects',
        message: `too many redirects (more than 10) starting at ${s.base}/loop`,
      });
      assert.equal(s.received.length, 11);
      assert.equal(x.request.redirects.length, 10);
      assert.equal(x.response?.status, 302);
      assert.equal(x.response?.body, 'again');
    },
  );
});

test('redirects: a 3xx without Location is a status error', async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(302);
      res.end();
    },
    async (s) => {
      const x = await sendWebhook(webhook(`${s.base}/x`, { method: 'GET' }), { policy: new UrlPolicy() });
      assert.deepEqual(x.error, { code: 11200, kind: 'status', message: `HTTP 302 from ${s.base}/x?CallSid=CA1` });
    },
  );
});

test('policy: scheme and DNS errors', async () => {
  const policy = new UrlPolicy();
  const ftp = await sendWebhook(webhook('ftp://example.com/voice'), { policy });
  assert.deepEqual(ftp.error, {
    code: 11100,
    kind: 'policy',
    message: 'URL must be http or https: ftp://example.com/voice',
  });
  assert.equal(ftp.response, undefined);
  const bad = await sendWebhook(webhook('not a url'), { policy });
  assert.deepEqual(bad.error, { code: 11100, kind: 'policy', message: 'invalid URL: not a url' });
  const dns = await sendWebhook(webhook('http://nonexistent.invalid/'), { policy });
  assert.equal(dns.error?.code, 11210);
  assert.equal(dns.error?.kind, 'dns');
  assert.match(dns.error?.message ?? '', /^cannot resolve host nonexistent\.invalid/);
});

test('policy: metadata address denied by default', async () => {
  const x = await sendWebhook(webhook('http://169.254.169.254/latest/meta-data/'), { policy: new UrlPolicy() });
  assert.deepEqual(x.error, {
    code: 11200,
    kind: 'policy',
    message: 'URL policy denies 169.254.169.254 (169.254.0.0/16)',
  });
});

test('policy: a custom deny of 127.0.0.0/8 keeps the request from reaching the server', async () => {
  await withServer(ok(), async (s) => {
    const policy = new UrlPolicy({ deny: ['127.0.0.0/8'] });
    const x = await sendWebhook(webhook(`${s.base}/voice`), { policy });
    assert.deepEqual(x.error, { code: 11200, kind: 'policy', message: 'URL policy denies 127.0.0.1 (127.0.0.0/8)' });
    // by name too: localhost resolves to a denied address
    const byName = await sendWebhook(webhook(`http://localhost:${s.port}/voice`), { policy });
    assert.equal(byName.error?.kind, 'policy');
    assert.match(byName.error?.message ?? '', /^URL policy denies (127\.0\.0\.1 \(127\.0\.0\.0\/8\)|::1 )/);
    const f = await fetchUrl(`${s.base}/a.wav`, { timeoutMs: 3000 }, { policy });
    assert.equal(f.error?.kind, 'policy');
    const cb = await postForm(`${s.base}/cdr`, { a: 1 }, { timeoutMs: 3000 }, { policy });
    assert.equal(cb.error?.kind, 'policy');
    assert.equal(s.received.length, 0);
  });
});

test('policy: allow wins over deny', async () => {
  await withServer(ok(), async (s) => {
    const policy = new UrlPolicy({ deny: ['127.0.0.0/8'], allow: ['127.0.0.1/32'] });
    const x = await sendWebhook(webhook(`${s.base}/voice`), { policy });
    assert.equal(x.error, undefined);
    assert.equal(x.response?.status, 200);
    assert.equal(s.received.length, 1);
  });
});

test('policy: IPv6 literal', async () => {
  await withServer(
    ok(),
    async (s) => {
      assert.equal(s.base, `http://[::1]:${s.port}`);
      const x = await sendWebhook(webhook(`${s.base}/v6`, { method: 'GET', signingKey: KEY }), {
        policy: new UrlPolicy(),
      });
      assert.equal(x.error, undefined);
      assert.equal(x.response?.body, TWIML);
      const r = s.received[0];
      assert.equal(x.request.url, `${s.base}/v6?CallSid=CA1`);
      assert.equal(twilio.validateRequest(KEY, r.headers['x-twilio-signature'] as string, x.request.url, {}), true);
      const denied = await sendWebhook(webhook(`${s.base}/v6`), { policy: new UrlPolicy({ deny: ['::1/128'] }) });
      assert.deepEqual(denied.error, { code: 11200, kind: 'policy', message: 'URL policy denies ::1 (::1/128)' });
      assert.equal(s.received.length, 1);
    },
    '::1',
  );
});

test('policy: a host name is resolved and connected through the policy lookup', async () => {
  await withServer(ok(), async (s) => {
    const names: string[] = [];
    const policy = new UrlPolicy({
      resolve: async (h) => {
        names.push(h);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const x = await sendWebhook(webhook(`http://voice.example.test:${s.port}/hook`), { policy });
    assert.equal(x.error, undefined);
    assert.equal(s.received[0].headers['host'], `voice.example.test:${s.port}`);
    // once for the check, once when the socket connects
    assert.deepEqual(names, ['voice.example.test', 'voice.example.test']);
  });
});

test('policy: DNS rebinding between the check and the connection is refused', async () => {
  await withServer(ok(), async (s) => {
    let calls = 0;
    const policy = new UrlPolicy({
      deny: ['127.0.0.1/32'],
      resolve: async () => [{ address: calls++ === 0 ? '127.0.0.3' : '127.0.0.1', family: 4 }],
    });
    const x = await sendWebhook(webhook(`http://rebind.test:${s.port}/`), { policy });
    assert.deepEqual(x.error, { code: 11200, kind: 'policy', message: 'URL policy denies 127.0.0.1 (127.0.0.1/32)' });
    assert.equal(calls, 2);
    assert.equal(s.received.length, 0);
  });
});

test('policy: a redirect from an allowed host to a denied one is refused', async () => {
  const target = await startServer(ok(), '127.0.0.2');
  try {
    await withServer(
      (_req, res) => {
        res.writeHead(302, { Location: `${target.base}/internal` });
        res.end();
      },
      async (s) => {
        const policy = new UrlPolicy({ deny: ['127.0.0.0/8'], allow: ['127.0.0.1/32'] });
        const x = await sendWebhook(webhook(`${s.base}/start`, { method: 'GET', params: {} }), { policy });
        assert.deepEqual(x.error, {
          code: 11200,
          kind: 'policy',
          message: `redirect to ${target.base}/internal refused: URL policy denies 127.0.0.2 (127.0.0.0/8)`,
        });
        assert.equal(s.received.length, 1);
        assert.equal(target.received.length, 0);
        assert.deepEqual(x.request.redirects, [`${s.base}/start`]);
        assert.equal(x.request.url, `${target.base}/internal`);
        // and to the metadata service
        const meta = await startServer((_req, res) => {
          res.writeHead(301, { Location: 'http://169.254.169.254/latest/meta-data/' });
          res.end();
        });
        try {
          const m = await sendWebhook(webhook(`${meta.base}/`, { method: 'GET' }), { policy: new UrlPolicy() });
          assert.equal(m.error?.code, 11200);
          assert.equal(
            m.error?.message,
            'redirect to http://169.254.169.254/latest/meta-data/ refused: URL policy denies 169.254.169.254 (169.254.0.0/16)',
          );
        } finally {
          await meta.close();
        }
      },
    );
  } finally {
    await target.close();
  }
});

test('sendCallback / postForm: any 2xx succeeds, an empty body is fine', async () => {
  await withServer(
    (req, res) => {
      res.writeHead(req.url === '/status' ? 204 : 200);
      res.end();
    },
    async (s) => {
      const policy = new UrlPolicy();
      const cb = await sendCallback(
        { url: `${s.base}/status`, params: { CallStatus: 'completed' }, timeoutMs: 3000, signingKey: KEY },
        { policy },
      );
      assert.equal(cb.error, undefined);
      assert.equal(cb.response?.status, 204);
      const r = s.received[0];
      assert.equal(r.method, 'POST');
      assert.equal(r.body, 'CallStatus=completed');
      assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.equal(
        twilio.validateRequest(KEY, r.headers['x-twilio-signature'] as string, r.url, parseQuery(r.body)),
        true,
      );
      const cdr = await postForm(
        `${s.base}/cdr`,
        { 'Call-ID': 'abc', 'Custom-Application-Vars': { k: 'v' }, 'Billing-Seconds': 12 },
        { timeoutMs: 3000 },
        { policy },
      );
      assert.equal(cdr.error, undefined);
      assert.equal(cdr.response?.status, 200);
      assert.equal(s.received[1].body, 'Call-ID=abc&Custom-Application-Vars%5Bk%5D=v&Billing-Seconds=12');
    },
  );
});

test('fetchUrl: bytes through the same policy', async () => {
  const wav = Buffer.from([0x52, 0x49, 0x46, 0x46, 0x00, 0xff, 0x80, 0x7f]);
  await withServer(
    (req, res) => {
      if (req.url === '/moved') {
        res.writeHead(302, { Location: '/a.wav' });
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'audio/wav' });
      res.end(wav);
    },
    async (s) => {
      const x = await fetchUrl(`${s.base}/moved`, { timeoutMs: 3000 }, { policy: new UrlPolicy() });
      assert.equal(x.error, undefined);
      assert.ok(Buffer.isBuffer(x.response?.body));
      assert.deepEqual(x.response?.body, wav);
      assert.equal(x.response?.contentType, 'audio/wav');
      assert.equal(x.request.url, `${s.base}/a.wav`);
      assert.equal(s.received[1].headers['accept'], '*/*');
      const small = await fetchUrl(
        `${s.base}/a.wav`,
        { timeoutMs: 3000, maxBodyBytes: 4 },
        { policy: new UrlPolicy() },
      );
      assert.equal(small.error?.kind, 'too_large');
      assert.equal(small.response?.body.length, 4);
    },
  );
});
