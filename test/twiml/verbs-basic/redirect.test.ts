import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTwiml, runTwiml } from '../../helpers/twiml.js';

const doc = (body: string): string => `<Response>${body}</Response>`;

test('Redirect requests the resolved URL with POST; later verbs never run; the call is not answered', async () => {
  const { call, host, outcome } = await runTwiml(
    doc('<Redirect>next.xml</Redirect><Say>never</Say>'),
    {},
    {
      documentUrl: 'http://app.test/ivr/start.xml',
    },
  );
  assert.deepEqual(outcome, { kind: 'request', url: 'http://app.test/ivr/next.xml', method: 'POST' });
  assert.equal(call.entries('say').length, 0);
  assert.equal(call.entries('answer').length, 0);
  assert.deepEqual(host.traces, [
    { verb: 'Redirect', detail: { url: 'http://app.test/ivr/next.xml', method: 'POST' } },
  ]);
});

test('Redirect method GET and absolute URLs', async () => {
  const { outcome } = await runTwiml(doc('<Redirect method="GET">https://other.test/a?b=1</Redirect>'));
  assert.deepEqual(outcome, { kind: 'request', url: 'https://other.test/a?b=1', method: 'GET' });
});

test('Redirect with nested Variables sets user variables first (Kazoo crashed here)', async () => {
  const { host, outcome } = await runTwiml(
    doc(
      '<Redirect method="POST"><Variable key="lang" value="fr"/><Variable name="tier" value="gold"/>/menu</Redirect>',
    ),
  );
  assert.deepEqual(
    [...host.userVars],
    [
      ['lang', 'fr'],
      ['tier', 'gold'],
    ],
  );
  assert.deepEqual(outcome, { kind: 'request', url: 'http://app.test/menu', method: 'POST' });
  assert.deepEqual(host.traces[0].detail.variables, { lang: 'fr', tier: 'gold' });
});

test('Redirect errors: empty URL (12200), bad method (13710), other children', () => {
  assert.equal(compileTwiml(doc('<Redirect/>')).errors[0].code, 12200);
  assert.equal(compileTwiml(doc('<Redirect>  </Redirect>')).errors[0].code, 12200);
  assert.equal(compileTwiml(doc('<Redirect method="PATCH">/x</Redirect>')).errors[0].code, 13710);
  const child = compileTwiml(doc('<Redirect><Say>x</Say>/x</Redirect>'));
  assert.equal(child.errors[0].code, 12200);
  assert.equal(child.errors[0].element, 'Say');
});
