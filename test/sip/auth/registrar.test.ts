import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { authorize, DigestServer, parseAuthHeader } from '../../../src/sip/digest.js';
import { Headers, type SipRequest, type SipResponse } from '../../../src/sip/message.js';
import {
  Registrar,
  storeLookups,
  type CredentialStore,
  type RegistrarOptions,
  type RegistrationEvent,
  type UnregistrationEvent,
} from '../../../src/sip/registrar.js';
import { FakeClock } from '../../../src/sip/timers.js';

const REALM = 'acme.pivot.test';
const SOURCE = { protocol: 'udp', address: '203.0.113.7', port: 40312 };
const DEVICES: Record<string, { deviceId: string; password: string }> = {
  '1001': { deviceId: 'dev-1001', password: 'pw-1001' },
  '1002': { deviceId: 'dev-1002', password: 'pw-1002' },
};

const live: Registrar[] = [];
afterEach(() => {
  for (const r of live.splice(0)) r.stop();
});

function setup(opts: Partial<RegistrarOptions> = {}) {
  const clock = new FakeClock(1_000_000);
  const wall = { t: Date.UTC(2024, 0, 2, 3, 4, 5) };
  const digest = new DigestServer({ clock, nonceLifetimeMs: 300_000 });
  const registrar = new Registrar({
    digest,
    lookupRealm: async (host) => (host === REALM ? REALM : undefined),
    lookupDevice: async (realm, username) => {
      const d = realm === REALM ? DEVICES[username] : undefined;
      return d && { accountId: 'acct-1', ...d };
    },
    clock,
    wallClock: () => wall.t + clock.now() - 1_000_000,
    ...opts,
  });
  live.push(registrar);
  const events: { name: string; ev: RegistrationEvent | UnregistrationEvent }[] = [];
  for (const name of ['registered', 'refreshed', 'unregistered', 'expired'] as const) {
    registrar.on(name, (ev: RegistrationEvent) => events.push({ name, ev }));
  }
  return { clock, digest, registrar, events };
}

interface RegisterOptions {
  contacts?: string[];
  expires?: string;
  toUser?: string;
  toHost?: string;
  ruri?: string;
  cseq?: number;
  callId?: string;
  headers?: [string, string][];
}

/** A hand-built REGISTER. */
function buildRegister(o: RegisterOptions & { auth?: string; user: string }): SipRequest {
  const h = new Headers();
  h.append('Via', 'SIP/2.0/UDP 203.0.113.7:40312;branch=z9hG4bK' + Math.random().toString(36).slice(2));
  h.append('Max-Forwards', '70');
  h.append('From', `<sip:${o.user}@${REALM}>;tag=ft1`);
  h.append('To', `<sip:${o.toUser ?? o.user}@${o.toHost ?? REALM}>`);
  h.append('Call-ID', o.callId ?? 'reg-call-1');
  h.append('CSeq', `${o.cseq ?? 1} REGISTER`);
  for (const c of o.contacts ?? []) h.append('Contact', c);
  if (o.expires !== undefined) h.append('Expires', o.expires);
  if (o.auth) h.append('Authorization', o.auth);
  for (const [n, v] of o.headers ?? []) h.append(n, v);
  return {
    kind: 'request',
    method: 'REGISTER',
    uri: o.ruri ?? `sip:${REALM}`,
    version: 'SIP/2.0',
    headers: h,
    body: Buffer.alloc(0),
  };
}

/** A softphone: keeps its Call-ID, CSeq, nonce and nonce count like a real UA; answers 401 once per request. */
class Phone {
  cseq = 0;
  nc = 0;
  challenge?: string;
  constructor(
    private readonly registrar: Registrar,
    readonly user = '1001',
    private readonly password = DEVICES[user]?.password ?? 'x',
    readonly callId = 'reg-' + user,
    private readonly source: { protocol: string; address: string; port: number } = SOURCE,
  ) {}

  private auth(ruri: string): string | undefined {
    if (!this.challenge) return undefined;
    return authorize(this.challenge, {
      username: this.user,
      password: this.password,
      method: 'REGISTER',
      uri: ruri,
      nc: ++this.nc,
    });
  }

  async send(o: RegisterOptions = {}): Promise<SipResponse> {
    const ruri = o.ruri ?? `sip:${REALM}`;
    this.cseq = o.cseq ?? this.cseq + 1;
    const req = buildRegister({ user: this.user, callId: this.callId, ...o, cseq: this.cseq, auth: this.auth(ruri) });
    return this.registrar.handle(req, this.source);
  }

  async register(o: RegisterOptions = {}): Promise<SipResponse> {
    const r = await this.send(o);
    if (r.status !== 401) return r;
    this.challenge = r.headers.get('www-authenticate');
    this.nc = 0;
    return this.send({ ...o, cseq: undefined });
  }
}

const contactsOf = (r: SipResponse) => r.headers.values('contact');

describe('registrar: authentication', () => {
  it('first REGISTER → 401 with a Digest challenge in the account realm', async () => {
    const { registrar } = setup();
    const r = await registrar.handle(
      buildRegister({ user: '1001', contacts: ['<sip:1001@192.168.1.20:5060>'] }),
      SOURCE,
    );
    assert.equal(r.status, 401);
    assert.equal(r.reason, 'Unauthorized');
    const challenges = r.headers.lines('www-authenticate');
    assert.equal(challenges.length, 1);
    const c = parseAuthHeader(challenges[0])!;
    assert.equal(c.scheme, 'Digest');
    assert.equal(c.params.realm, REALM);
    assert.equal(c.params.algorithm, 'MD5');
    assert.equal(c.params.qop, 'auth');
    assert.ok(c.params.nonce && c.params.opaque);
    assert.match(r.headers.get('to')!, /;tag=\w+$/);
    assert.equal(r.headers.get('call-id'), 'reg-call-1');
    assert.equal(r.headers.get('cseq'), '1 REGISTER');
    assert.equal(r.headers.lines('via').length, 1);
  });

  it('offers SHA-256 then MD5 when configured', async () => {
    const { registrar } = setup({ algorithms: ['SHA-256', 'MD5'] });
    const r = await registrar.handle(buildRegister({ user: '1001' }), SOURCE);
    assert.deepEqual(
      r.headers.lines('www-authenticate').map((v) => parseAuthHeader(v)!.params.algorithm),
      ['SHA-256', 'MD5'],
    );
  });

  it('wrong password and unknown user → 403 alike', async () => {
    const { registrar } = setup();
    const bad = await new Phone(registrar, '1001', 'guess').register({ contacts: ['<sip:1001@192.168.1.20>'] });
    assert.equal(bad.status, 403);
    const ghost = await new Phone(registrar, '9999', 'x').register({ contacts: ['<sip:9999@192.168.1.20>'] });
    assert.equal(ghost.status, 403);
    assert.equal(bad.reason, ghost.reason);
    assert.equal(registrar.allBindings().length, 0);
  });

  it('403 when the To user is not the authenticated user', async () => {
    const { registrar, events } = setup();
    const r = await new Phone(registrar, '1001').register({ toUser: '1002', contacts: ['<sip:1002@192.168.1.20>'] });
    assert.equal(r.status, 403);
    assert.match(r.reason, /To user/);
    assert.equal(registrar.isRegistered('acct-1', 'dev-1002'), false);
    assert.equal(events.length, 0);
  });

  it('unknown domain → 404 with a clear reason; defaultRealm serves IP-addressed devices', async () => {
    const { registrar } = setup();
    const r = await registrar.handle(
      buildRegister({ user: '1001', toHost: 'nowhere.test', ruri: 'sip:nowhere.test' }),
      SOURCE,
    );
    assert.equal(r.status, 404);
    assert.equal(r.reason, 'Not Found (unknown domain)');

    const withDefault = setup({ defaultRealm: REALM }).registrar;
    const phone = new Phone(withDefault);
    const ok = await phone.register({
      toHost: '198.51.100.1',
      ruri: 'sip:198.51.100.1',
      contacts: ['<sip:1001@10.0.0.2>'],
    });
    assert.equal(ok.status, 200);
    assert.equal(parseAuthHeader(phone.challenge!)!.params.realm, REALM);
    assert.equal(withDefault.bindingsForAor(REALM, '1001').length, 1);
  });

  it('the To host is the realm even when the Request-URI is an IP', async () => {
    const { registrar } = setup();
    const r = await new Phone(registrar).register({ ruri: 'sip:198.51.100.1:5060', contacts: ['<sip:1001@10.0.0.2>'] });
    assert.equal(r.status, 200);
  });

  it('an expired nonce → 401 stale=true, and the phone gets in again without asking its user', async () => {
    const { registrar, clock } = setup();
    const phone = new Phone(registrar);
    assert.equal((await phone.register({ contacts: ['<sip:1001@10.0.0.2>'] })).status, 200);
    clock.advance(301_000);
    const r = await phone.send({ contacts: ['<sip:1001@10.0.0.2>'] });
    assert.equal(r.status, 401);
    assert.equal(parseAuthHeader(r.headers.get('www-authenticate')!)!.params.stale, 'true');
    assert.equal((await phone.register({ contacts: ['<sip:1001@10.0.0.2>'] })).status, 200);
  });

  it('malformed credentials → 400; non-REGISTER → 405; broken To → 400', async () => {
    const { registrar } = setup();
    const req = buildRegister({
      user: '1001',
      auth: 'Digest username="1001", realm="acme.pivot.test", nonce="abc", uri="sip:acme.pivot.test"',
    });
    const r = await registrar.handle(req, SOURCE);
    assert.equal(r.status, 400);
    assert.match(r.reason, /malformed credentials/);

    const options = { ...buildRegister({ user: '1001' }), method: 'OPTIONS' };
    const r405 = await registrar.handle(options, SOURCE);
    assert.equal(r405.status, 405);
    assert.equal(r405.headers.get('allow'), 'REGISTER');

    const broken = buildRegister({ user: '1001' });
    broken.headers.set('To', '<sip:1001@acme.pivot.test');
    const r400 = await registrar.handle(broken, SOURCE);
    assert.equal(r400.status, 400);
    assert.match(r400.reason, /To/);
  });
});

describe('registrar: bindings', () => {
  it('authenticated REGISTER → 200 with Contact expires and Date, and a registered event', async () => {
    const { registrar, events } = setup();
    const r = await new Phone(registrar).register({
      contacts: ['"Desk" <sip:1001@192.168.1.20:5060;transport=udp>'],
      expires: '1800',
      headers: [['User-Agent', 'TestPhone/1.0']],
    });
    assert.equal(r.status, 200);
    assert.deepEqual(contactsOf(r), ['<sip:1001@192.168.1.20:5060;transport=udp>;expires=1800']);
    assert.equal(r.headers.get('date'), 'Tue, 02 Jan 2024 03:04:05 GMT');
    assert.match(r.headers.get('to')!, /;tag=/);
    assert.equal(events.length, 1);
    assert.equal(events[0].name, 'registered');
    assert.deepEqual(
      { accountId: events[0].ev.accountId, deviceId: events[0].ev.deviceId, contact: events[0].ev.contact },
      { accountId: 'acct-1', deviceId: 'dev-1001', contact: 'sip:1001@192.168.1.20:5060;transport=udp' },
    );
    assert.deepEqual(events[0].ev.source, SOURCE);

    assert.equal(registrar.isRegistered('acct-1', 'dev-1001'), true);
    const [b] = registrar.bindings('acct-1', 'dev-1001');
    assert.equal(b.expires, 1800);
    assert.equal(b.expiresIn, 1800);
    assert.deepEqual(b.source, SOURCE, 'the received address is where requests go (NAT)');
    assert.equal(b.userAgent, 'TestPhone/1.0');
    assert.equal(b.uri.host, '192.168.1.20');
    assert.deepEqual(registrar.bindingsForAor(REALM, '1001'), registrar.bindings('acct-1', 'dev-1001'));
    assert.deepEqual(registrar.bindingsForAor('ACME.pivot.test', '1001').length, 1);
    assert.deepEqual(registrar.bindingsForAor(REALM, '1002'), []);
  });

  it('per-contact expires beats the Expires header, which beats the default; above max is capped', async () => {
    const { registrar } = setup();
    const r = await new Phone(registrar).register({
      contacts: ['<sip:1001@10.0.0.1>;expires=120', '<sip:1001@10.0.0.2>', 'sip:1001@10.0.0.3;expires=99999'],
      expires: '600',
    });
    assert.equal(r.status, 200);
    assert.deepEqual(contactsOf(r), [
      '<sip:1001@10.0.0.1>;expires=120',
      '<sip:1001@10.0.0.2>;expires=600',
      '<sip:1001@10.0.0.3>;expires=3600',
    ]);
    const r2 = await new Phone(registrar, '1002').register({ contacts: ['<sip:1002@10.0.0.9>'] });
    assert.deepEqual(contactsOf(r2), ['<sip:1002@10.0.0.9>;expires=3600']);
  });

  it('refresh keeps the binding, resets its expiry and emits refreshed', async () => {
    const { registrar, clock, events } = setup();
    const phone = new Phone(registrar);
    await phone.register({ contacts: ['<sip:1001@10.0.0.2>'], expires: '300' });
    clock.advance(100_000);
    assert.equal(registrar.bindings('acct-1', 'dev-1001')[0].expiresIn, 200);
    const r = await phone.register({ contacts: ['<sip:1001@10.0.0.2>'], expires: '300' });
    assert.equal(r.status, 200);
    assert.deepEqual(contactsOf(r), ['<sip:1001@10.0.0.2>;expires=300']);
    const [b] = registrar.bindings('acct-1', 'dev-1001');
    assert.equal(b.expiresIn, 300);
    assert.ok(b.refreshedAt > b.registeredAt);
    assert.deepEqual(
      events.map((e) => e.name),
      ['registered', 'refreshed'],
    );
  });

  it('two contacts (one line, comma-separated) → both listed; expires=0 removes one', async () => {
    const { registrar, events } = setup();
    const phone = new Phone(registrar);
    const r = await phone.register({ contacts: ['<sip:1001@10.0.0.1>, <sip:1001@10.0.0.2;transport=tcp>'] });
    assert.equal(r.status, 200);
    assert.equal(contactsOf(r).length, 2);
    assert.equal(registrar.bindings('acct-1', 'dev-1001').length, 2);

    const r2 = await phone.register({ contacts: ['<sip:1001@10.0.0.1>;expires=0'] });
    assert.equal(r2.status, 200);
    assert.deepEqual(contactsOf(r2), ['<sip:1001@10.0.0.2;transport=tcp>;expires=3600']);
    const un = events.filter((e) => e.name === 'unregistered');
    assert.equal(un.length, 1);
    assert.equal(un[0].ev.contact, 'sip:1001@10.0.0.1');
    assert.equal((un[0].ev as UnregistrationEvent).reason, 'request');
  });

  it('a REGISTER without Contact is a query', async () => {
    const { registrar } = setup();
    const phone = new Phone(registrar);
    await phone.register({ contacts: ['<sip:1001@10.0.0.1>'] });
    const r = await phone.register();
    assert.equal(r.status, 200);
    assert.deepEqual(contactsOf(r), ['<sip:1001@10.0.0.1>;expires=3600']);
  });

  it('Contact: * with Expires: 0 removes every binding of the AOR; anything else with * → 400', async () => {
    const { registrar, events } = setup();
    const phone = new Phone(registrar);
    await phone.register({ contacts: ['<sip:1001@10.0.0.1>', '<sip:1001@10.0.0.2>'] });
    await new Phone(registrar, '1002').register({ contacts: ['<sip:1002@10.0.0.3>'] });

    assert.equal((await phone.register({ contacts: ['*'], expires: '5' })).status, 400);
    assert.equal((await phone.register({ contacts: ['*'] })).status, 400);
    assert.equal((await phone.register({ contacts: ['*', '<sip:1001@10.0.0.9>'], expires: '0' })).status, 400);
    assert.equal(registrar.bindings('acct-1', 'dev-1001').length, 2);

    const r = await phone.register({ contacts: ['*'], expires: '0' });
    assert.equal(r.status, 200);
    assert.deepEqual(contactsOf(r), []);
    assert.ok(r.headers.has('date'));
    assert.equal(registrar.isRegistered('acct-1', 'dev-1001'), false);
    assert.equal(registrar.isRegistered('acct-1', 'dev-1002'), true, 'other AORs untouched');
    const un = events.filter((e) => e.name === 'unregistered') as { ev: UnregistrationEvent }[];
    assert.deepEqual(
      un.map((e) => [e.ev.contact, e.ev.reason]),
      [
        ['sip:1001@10.0.0.1', 'wildcard'],
        ['sip:1001@10.0.0.2', 'wildcard'],
      ],
    );
  });

  it('423 Interval Too Brief with Min-Expires, and nothing changes', async () => {
    const { registrar } = setup();
    const phone = new Phone(registrar);
    const r = await phone.register({ contacts: ['<sip:1001@10.0.0.1>', '<sip:1001@10.0.0.2>;expires=30'] });
    assert.equal(r.status, 423);
    assert.equal(r.reason, 'Interval Too Brief');
    assert.equal(r.headers.get('min-expires'), '60');
    assert.equal(registrar.isRegistered('acct-1', 'dev-1001'), false);
    const r2 = await phone.register({ contacts: ['<sip:1001@10.0.0.1>'], expires: '59' });
    assert.equal(r2.status, 423);
    const ok = await phone.register({ contacts: ['<sip:1001@10.0.0.1>'], expires: '60' });
    assert.equal(ok.status, 200);
  });

  it('out-of-order CSeq on the same Call-ID is refused and changes nothing', async () => {
    const { registrar } = setup();
    const phone = new Phone(registrar);
    await phone.register({ contacts: ['<sip:1001@10.0.0.1>'], expires: '600' });
    const seq = phone.cseq;
    const late = await phone.send({ contacts: ['<sip:1001@10.0.0.1>;expires=0'], cseq: seq - 1 });
    assert.equal(late.status, 500);
    assert.match(late.reason, /out-of-order/);
    const same = await phone.send({ contacts: ['<sip:1001@10.0.0.1>;expires=0'], cseq: seq });
    assert.equal(same.status, 500);
    assert.equal(registrar.isRegistered('acct-1', 'dev-1001'), true);
    // Another Call-ID (say, after the phone rebooted) may use any CSeq.
    const rebooted = new Phone(registrar, '1001', 'pw-1001', 'reg-after-reboot');
    const r = await rebooted.register({ contacts: ['<sip:1001@10.0.0.1>;expires=0'], cseq: 1 });
    assert.equal(r.status, 200);
    assert.equal(registrar.isRegistered('acct-1', 'dev-1001'), false);
  });

  it('bounded contacts per device: the least recently refreshed is dropped', async () => {
    const { registrar, clock, events } = setup({ maxContactsPerDevice: 2 });
    const phone = new Phone(registrar);
    for (const host of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
      assert.equal((await phone.register({ contacts: [`<sip:1001@${host}>`] })).status, 200);
      clock.advance(1000);
    }
    assert.deepEqual(
      registrar.bindings('acct-1', 'dev-1001').map((b) => b.uri.host),
      ['10.0.0.2', '10.0.0.3'],
    );
    const evicted = events.find((e) => e.name === 'unregistered')!.ev as UnregistrationEvent;
    assert.equal(evicted.reason, 'evicted');
    assert.equal(evicted.contact, 'sip:1001@10.0.0.1');
  });

  it('+sip.instance / reg-id identify a binding across contact changes (RFC 5626)', async () => {
    const { registrar, events } = setup();
    const inst = '"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"';
    const phone = new Phone(registrar);
    const r = await phone.register({ contacts: [`<sip:1001@10.0.0.1;ob>;+sip.instance=${inst};reg-id=1`] });
    assert.deepEqual(contactsOf(r), [`<sip:1001@10.0.0.1;ob>;expires=3600;+sip.instance=${inst};reg-id=1`]);
    const moved = await phone.register({ contacts: [`<sip:1001@10.9.9.9;ob>;+sip.instance=${inst};reg-id=1`] });
    assert.equal(moved.status, 200);
    const bs = registrar.bindings('acct-1', 'dev-1001');
    assert.equal(bs.length, 1);
    assert.equal(bs[0].contact, 'sip:1001@10.9.9.9;ob');
    assert.equal(bs[0].instance, '<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>');
    assert.equal(bs[0].regId, 1);
    assert.deepEqual(
      events.map((e) => e.name),
      ['registered', 'refreshed'],
    );
    // A second flow (reg-id 2) of the same instance is a second binding.
    await phone.register({ contacts: [`<sip:1001@10.9.9.9;transport=tcp;ob>;+sip.instance=${inst};reg-id=2`] });
    assert.equal(registrar.bindings('acct-1', 'dev-1001').length, 2);
  });

  it('remembers the source of each REGISTER and echoes Path', async () => {
    const { registrar } = setup();
    const tcp = { protocol: 'tcp', address: '198.51.100.44', port: 51000, connectionId: 'c7' };
    const phone = new Phone(registrar, '1001', 'pw-1001', 'reg-tcp', tcp);
    const r = await phone.register({
      contacts: ['<sip:1001@192.168.0.5:5060;transport=tcp>'],
      headers: [['Path', '<sip:edge.example;lr>']],
    });
    assert.deepEqual(r.headers.values('path'), ['<sip:edge.example;lr>']);
    const [b] = registrar.bindings('acct-1', 'dev-1001');
    assert.deepEqual(b.source, tcp);
    assert.deepEqual(b.path, ['<sip:edge.example;lr>']);
  });
});

describe('registrar: expiry', () => {
  it('expired bindings are swept on the clock and emit expired; stop() leaves no timer', async () => {
    const { registrar, clock, events } = setup({ sweepIntervalMs: 1000 });
    const phone = new Phone(registrar);
    await phone.register({ contacts: ['<sip:1001@10.0.0.1>;expires=60', '<sip:1001@10.0.0.2>;expires=120'] });
    assert.equal(clock.pending, 1, 'one sweep timer');
    clock.advance(59_000);
    assert.equal(registrar.bindings('acct-1', 'dev-1001').length, 2);
    clock.advance(1_000);
    assert.deepEqual(
      events.filter((e) => e.name === 'expired').map((e) => e.ev.contact),
      ['sip:1001@10.0.0.1'],
    );
    assert.equal(registrar.bindings('acct-1', 'dev-1001').length, 1);
    clock.advance(60_000);
    assert.equal(events.filter((e) => e.name === 'expired').length, 2);
    assert.equal(registrar.isRegistered('acct-1', 'dev-1001'), false);
    assert.equal(clock.pending, 0, 'no sweep while nothing is registered');

    await phone.register({ contacts: ['<sip:1001@10.0.0.1>'] });
    assert.equal(clock.pending, 1);
    registrar.stop();
    assert.equal(clock.pending, 0);
    await phone.register({ contacts: ['<sip:1001@10.0.0.3>'] });
    assert.equal(clock.pending, 0, 'no timer after stop()');
    clock.advance(4_000_000);
    assert.equal(registrar.isRegistered('acct-1', 'dev-1001'), false, 'queries ignore expired bindings');
    registrar.sweep();
    assert.equal(events.filter((e) => e.name === 'expired').length, 4);
  });

  it('removeDevice drops bindings with reason removed', async () => {
    const { registrar, events } = setup();
    await new Phone(registrar).register({ contacts: ['<sip:1001@10.0.0.1>'] });
    registrar.removeDevice('acct-1', 'dev-1001');
    assert.equal(registrar.isRegistered('acct-1', 'dev-1001'), false);
    assert.equal((events.at(-1)!.ev as UnregistrationEvent).reason, 'removed');
  });
});

describe('registrar: storeLookups', () => {
  const store: CredentialStore = {
    accounts: {
      findByRealm: async (realm) =>
        realm === REALM
          ? { id: 'acct-1', realm: REALM }
          : realm === 'off.test'
            ? { id: 'acct-2', realm: 'off.test', enabled: false }
            : undefined,
    },
    devices: {
      findBySipUsername: async (accountId, username) => {
        if (accountId !== 'acct-1') return undefined;
        if (username === '1001') return { id: 'dev-1001', sip: { username: '1001', password: 'pw-1001' } };
        if (username === '1003') return { id: 'dev-1003', enabled: false, sip: { username: '1003', password: 'p' } };
        if (username === '1004') return { id: 'dev-1004', sip: { username: '1004' } };
        return undefined;
      },
    },
  };

  it('maps realms and devices, skipping disabled ones and devices without a password', async () => {
    const l = storeLookups(store);
    assert.equal(await l.lookupRealm('ACME.PIVOT.TEST'), REALM);
    assert.equal(await l.lookupRealm('off.test'), undefined);
    assert.equal(await l.lookupRealm('nowhere.test'), undefined);
    assert.deepEqual(await l.lookupDevice(REALM, '1001'), {
      accountId: 'acct-1',
      deviceId: 'dev-1001',
      password: 'pw-1001',
    });
    assert.equal(await l.lookupDevice(REALM, '1003'), undefined);
    assert.equal(await l.lookupDevice(REALM, '1004'), undefined);
    assert.equal(await l.lookupDevice('off.test', '1001'), undefined);
  });

  it('drives a registrar end to end', async () => {
    const clock = new FakeClock(0);
    const registrar = new Registrar({ digest: new DigestServer(), ...storeLookups(store), clock });
    live.push(registrar);
    const r = await new Phone(registrar).register({ contacts: ['<sip:1001@10.0.0.1>'] });
    assert.equal(r.status, 200);
    assert.equal(registrar.isRegistered('acct-1', 'dev-1001'), true);
  });
});
