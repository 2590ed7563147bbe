// DESIGN §2 and spec twiml.md §9: every Pivot request is signed with the account's signing key, so a web app's
// `twilio.validateRequest` accepts it, and carries Pivot's own X-Pivot-Signature.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { press } from '../../../src/call/scripted.js';
import { verifyPivotSignature } from '../../../src/pivot/http/signing.js';
import { newSigningKey } from '../../../src/store/index.js';
import {
  pivotHarness,
  pivotNode,
  twilioValid,
  twiml,
  webApp,
  type AppRequest,
  type PivotHarness,
  type WebApp,
} from '../../helpers/pivot.js';

let h: PivotHarness;
let app: WebApp;

/** The gather document asks for 2 digits and sends them to /digits (with `?am=GET`: by GET), which ends the call. */
const gather = (method = 'POST'): string =>
  `<Gather numDigits="2" action="/digits" method="${method}"><Say>Two digits please</Say></Gather>`;

before(async () => {
  h = await pivotHarness();
  app = await webApp({
    '/voice': (_p, req) => twiml(gather(req.query.am === 'GET' ? 'GET' : 'POST')),
    '/digits': () => twiml('<Hangup/>'),
  });
});

after(async () => {
  await app.close();
  await h.close();
});

function pivotValid(key: string, req: AppRequest): boolean {
  const header = req.headers['x-pivot-signature'];
  return verifyPivotSignature(key, typeof header === 'string' ? header : undefined, {
    method: req.method,
    url: req.url,
    body: req.body,
  });
}

const FORMATS = [
  { name: 'GET', data: { method: 'get' } },
  { name: 'GET with a GET action', data: { method: 'get' }, query: '&am=GET' },
  { name: 'POST form', data: { method: 'post' } },
  { name: 'POST JSON', data: { method: 'post', req_body_format: 'json' } },
] as const;

for (const { name, data, query = '' } of FORMATS as readonly {
  name: string;
  data: Record<string, string>;
  query?: string;
}[]) {
  for (const req_format of ['twiml', 'kazoo'] as const) {
    test(`${name}, ${req_format} format: the voice request and the Gather action with Digits validate`, async () => {
      const tag = `${name.replace(/ /g, '-')}-${req_format}`;
      const call = await h.run(pivotNode({ voice_url: app.url(`/voice?tag=${tag}${query}`), req_format, ...data }), {
        script: { events: press('12', 2000) },
      });
      const voice = app.to('/voice').filter((r) => r.query.tag === tag);
      assert.equal(voice.length, 1);
      const digits = app
        .to('/digits')
        .filter((r) => r.params['CallSid'] === call.id || r.params['Call-ID'] === call.id);
      assert.equal(digits.length, 1, 'the Gather action was requested');
      assert.equal(digits[0].params['Digits'], '12');
      for (const req of [voice[0], digits[0]]) {
        assert.equal(twilioValid(h.signingKey, req), true, `X-Twilio-Signature of ${req.method} ${req.url}`);
        assert.equal(pivotValid(h.signingKey, req), true, `X-Pivot-Signature of ${req.method} ${req.url}`);
      }
      assert.equal(voice[0].method, data.method.toUpperCase());
      assert.equal(digits[0].method, query ? 'GET' : 'POST');
      if ('req_body_format' in data) {
        assert.equal(voice[0].contentType, 'application/json');
        assert.match(voice[0].url, /[?&]bodySHA256=[0-9a-f]{64}$/);
      }
    });
  }
}

test('twilio.validateRequest with the documented arguments (url, form params) on a form POST', async () => {
  await h.run(pivotNode({ voice_url: app.url('/voice?tag=doc'), method: 'post', req_format: 'twiml' }));
  const [req] = app.to('/voice').filter((r) => r.query.tag === 'doc');
  const header = req.headers['x-twilio-signature'] as string;
  assert.equal(twilio.validateRequest(h.signingKey, header, req.url, req.form!), true);
  assert.equal(twilio.validateRequest(h.signingKey, header, req.url, { ...req.form, CallSid: 'CAforged' }), false);
  assert.equal(twilio.validateRequest('not-the-key', header, req.url, req.form!), false);
});

test('a rotated signing key: requests are signed with the new key, the old key no longer validates', async () => {
  const h2 = await pivotHarness();
  try {
    const oldKey = h2.signingKey;
    const newKey = newSigningKey();
    await h2.store.accounts.update(h2.accountId, { signing_key: newKey });
    await h2.run(pivotNode({ voice_url: app.url('/voice?tag=rotated'), method: 'post', req_format: 'twiml' }));
    const [req] = app.to('/voice').filter((r) => r.query.tag === 'rotated');
    assert.equal(twilioValid(newKey, req), true);
    assert.equal(pivotValid(newKey, req), true);
    assert.equal(twilioValid(oldKey, req), false);
    assert.equal(pivotValid(oldKey, req), false);
  } finally {
    await h2.close();
  }
});
