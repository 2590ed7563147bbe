// Users and devices over real HTTP against a started Pivot: passwords stored only as hashes, unique usernames,
// the user-self rule, token revocation, If-Match; devices with generated credentials, unique SIP usernames and live
// registration status; listings paged and filtered; and tenant isolation for every verb.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialsOf } from '../../src/api/passwords.js';
import { authorize } from '../../src/sip/digest.js';
import { Headers, type SipRequest } from '../../src/sip/message.js';
import { apiServer, type ApiServer } from '../helpers/api.js';
import { plainUser, tenant, walkPages, type Tenant } from '../helpers/tenants.js';

let api: ApiServer;
let admin: string;

before(async () => {
  api = await apiServer({ min: 39300, max: 39399 });
  admin = await api.login('admin', 'admin', api.adminPassword);
});

after(async () => {
  await api.stop();
});

const MISSING_ID = '0123456789abcdef0123456789abcdef';

async function loginStatus(account: string, username: string, password: string): Promise<number> {
  const res = await api.call('PUT', '/v2/user_auth', {
    data: { credentials: credentialsOf(username, password), account_name: account },
  });
  return res.status;
}

describe('users', () => {
  let t: Tenant;
  before(async () => {
    t = await tenant(api, admin, api.masterId, 'Users Inc');
  });

  test('a password becomes a hash that is never answered; the user logs in with it', async () => {
    const res = await api.call('PUT', `/v2/accounts/${t.id}/users`, {
      token: t.token,
      data: { username: 'alice', password: 'Alice-pw-1', first_name: 'Alice', email: 'alice@example.com' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const user = res.body.data;
    assert.equal(user.username, 'alice');
    assert.equal(user.priv_level, 'user', 'the default priv_level');
    assert.equal(user.password, undefined);
    assert.equal(user.password_hash, undefined);
    assert.match(user.id, /^[0-9a-f]{32}$/);
    assert.ok(res.body.revision);
    assert.equal(res.headers.get('etag'), `"${res.body.revision}"`);
    const stored = await api.server.store.users.get(t.id, user.id);
    assert.match(String(stored?.password_hash), /^md5scrypt\$/);
    assert.equal(stored?.password, undefined, 'the password itself is not stored');
    assert.equal(await loginStatus(t.name, 'alice', 'Alice-pw-1'), 201);

    const read = await api.call('GET', `/v2/accounts/${t.id}/users/${user.id}`, { token: t.token });
    assert.equal(read.status, 200);
    assert.equal(read.body.data.password_hash, undefined);
    assert.equal(read.body.revision, res.body.revision);
    const list = await api.call('GET', `/v2/accounts/${t.id}/users`, { token: t.token });
    assert.ok(list.body.data.some((u: { id: string }) => u.id === user.id));
    assert.ok(list.body.data.every((u: Record<string, unknown>) => u.password_hash === undefined));
  });

  test('validation names the field and the rule; a password needs a username; usernames are unique', async () => {
    const bad = await api.call('PUT', `/v2/accounts/${t.id}/users`, {
      token: t.token,
      data: { username: 'has space', email: 'not-an-email', priv_level: 'root', enabled: 'yes' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'invalid data');
    assert.ok(bad.body.data.username.pattern);
    assert.ok(bad.body.data.email.format);
    assert.ok(bad.body.data.priv_level.enum);
    assert.equal(bad.body.data.enabled.type.target, 'boolean');
    const noName = await api.call('PUT', `/v2/accounts/${t.id}/users`, { token: t.token, data: { password: 'x1' } });
    assert.equal(noName.status, 400);
    assert.ok(noName.body.data.username.required);

    await api.call('PUT', `/v2/accounts/${t.id}/users`, { token: t.token, data: { username: 'bob' } });
    const dup = await api.call('PUT', `/v2/accounts/${t.id}/users`, { token: t.token, data: { username: 'BOB' } });
    assert.equal(dup.status, 409);
    assert.ok(dup.body.data.username.unique);
    const elsewhere = await tenant(api, admin, api.masterId, 'Users Elsewhere');
    const other = await api.call('PUT', `/v2/accounts/${elsewhere.id}/users`, {
      token: elsewhere.token,
      data: { username: 'bob' },
    });
    assert.equal(other.status, 201, 'usernames are unique per account only');
  });

  test('POST replaces (the hash stays), PATCH merges and null removes; a missing id is a 404', async () => {
    const made = await api.call('PUT', `/v2/accounts/${t.id}/users`, {
      token: t.token,
      data: { username: 'carol', password: 'Carol-pw', first_name: 'Carol', last_name: 'King', language: 'fr-fr' },
    });
    const id = made.body.data.id;
    const patched = await api.call('PATCH', `/v2/accounts/${t.id}/users/${id}`, {
      token: t.token,
      data: { last_name: null, timezone: 'Europe/Paris' },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.data.last_name, undefined);
    assert.equal(patched.body.data.first_name, 'Carol');
    assert.equal(patched.body.data.timezone, 'Europe/Paris');
    assert.notEqual(patched.body.revision, made.body.revision);
    const replaced = await api.call('POST', `/v2/accounts/${t.id}/users/${id}`, {
      token: t.token,
      data: { username: 'carol', first_name: 'Caroline', id: 'ignored', created: 1 },
    });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.data.language, undefined, 'POST replaces the document');
    assert.equal(replaced.body.data.id, id);
    assert.equal(replaced.body.data.created, made.body.data.created, 'created is the server’s');
    assert.equal(await loginStatus(t.name, 'carol', 'Carol-pw'), 201, 'the password hash stays');

    for (const method of ['GET', 'POST', 'PATCH', 'DELETE'] as const) {
      const res = await api.call(method, `/v2/accounts/${t.id}/users/${MISSING_ID}`, {
        token: t.token,
        data: method === 'POST' || method === 'PATCH' ? { username: 'x' } : undefined,
      });
      assert.equal(res.status, 404, method);
      assert.equal(res.body.message, 'user not found');
    }
  });

  test('a rename needs the password; a new password or a rename revokes the user’s tokens', async () => {
    const made = await api.call('PUT', `/v2/accounts/${t.id}/users`, {
      token: t.token,
      data: { username: 'dave', password: 'Dave-pw', priv_level: 'admin' },
    });
    const id = made.body.data.id;
    const daveToken = await api.login(t.name, 'dave', 'Dave-pw');
    const rename = await api.call('PATCH', `/v2/accounts/${t.id}/users/${id}`, {
      token: t.token,
      data: { username: 'david' },
    });
    assert.equal(rename.status, 400);
    assert.ok(rename.body.data.password.required);
    const sameCase = await api.call('PATCH', `/v2/accounts/${t.id}/users/${id}`, {
      token: t.token,
      data: { username: 'DAVE' },
    });
    assert.equal(sameCase.status, 200, 'a change of case keeps the hash (usernames compare lower-cased)');
    assert.equal((await api.call('GET', `/v2/accounts/${t.id}`, { token: daveToken })).status, 200);

    const renamed = await api.call('PATCH', `/v2/accounts/${t.id}/users/${id}`, {
      token: t.token,
      data: { username: 'david', password: 'David-pw' },
    });
    assert.equal(renamed.status, 200);
    assert.equal((await api.call('GET', `/v2/accounts/${t.id}`, { token: daveToken })).status, 401, 'revoked');
    assert.equal(await loginStatus(t.name, 'dave', 'Dave-pw'), 401);
    const davidToken = await api.login(t.name, 'david', 'David-pw');

    const repassword = await api.call('PATCH', `/v2/accounts/${t.id}/users/${id}`, {
      token: t.token,
      data: { password: 'David-pw-2' },
    });
    assert.equal(repassword.status, 200);
    assert.equal((await api.call('GET', `/v2/accounts/${t.id}`, { token: davidToken })).status, 401);
    assert.equal(await loginStatus(t.name, 'david', 'David-pw-2'), 201);

    const adminAgain = await api.login(t.name, 'david', 'David-pw-2');
    const demoted = await api.call('PATCH', `/v2/accounts/${t.id}/users/${id}`, {
      token: t.token,
      data: { priv_level: 'user' },
    });
    assert.equal(demoted.status, 200);
    const stale = await api.call('PUT', `/v2/accounts/${t.id}/users`, { token: adminAgain, data: { username: 'z' } });
    assert.equal(stale.status, 401, 'a demoted admin’s token does not keep admin rights');
  });

  test('deleting a user revokes its tokens and it cannot log in', async () => {
    const made = await api.call('PUT', `/v2/accounts/${t.id}/users`, {
      token: t.token,
      data: { username: 'erin', password: 'Erin-pw' },
    });
    const erin = await api.login(t.name, 'erin', 'Erin-pw');
    const del = await api.call('DELETE', `/v2/accounts/${t.id}/users/${made.body.data.id}`, { token: t.token });
    assert.equal(del.status, 200);
    assert.equal(del.body.data.id, made.body.data.id);
    assert.equal(del.body.data.password_hash, undefined);
    assert.equal((await api.call('GET', `/v2/accounts/${t.id}`, { token: erin })).status, 401);
    assert.equal(await loginStatus(t.name, 'erin', 'Erin-pw'), 401);
    const gone = await api.call('GET', `/v2/accounts/${t.id}/users/${made.body.data.id}`, { token: t.token });
    assert.equal(gone.status, 404);
  });

  test('an admin cannot delete its own user', async () => {
    const self = await api.call('DELETE', `/v2/accounts/${t.id}/users/${t.bossId}`, { token: t.token });
    assert.equal(self.status, 403);
    assert.match(self.body.message ?? '', /your own user/);
    assert.ok(await api.server.store.users.get(t.id, t.bossId), 'still there');
  });

  test('a user token reads the users and changes only its own document, never its priv_level', async () => {
    const me = await plainUser(api, t, 'frank');
    const other = await plainUser(api, t, 'grace');
    assert.equal((await api.call('GET', `/v2/accounts/${t.id}/users`, { token: me.token })).status, 200);
    assert.equal((await api.call('GET', `/v2/accounts/${t.id}/users/${other.id}`, { token: me.token })).status, 200);
    const own = await api.call('PATCH', `/v2/accounts/${t.id}/users/${me.id}`, {
      token: me.token,
      data: { first_name: 'Frank' },
    });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    const ownPost = await api.call('POST', `/v2/accounts/${t.id}/users/${me.id}`, {
      token: me.token,
      data: { username: 'frank', first_name: 'Franky' },
    });
    assert.equal(ownPost.status, 200, 'its own replace keeps its priv_level');
    assert.equal(ownPost.body.data.priv_level, 'user');
    const raise = await api.call('PATCH', `/v2/accounts/${t.id}/users/${me.id}`, {
      token: me.token,
      data: { priv_level: 'admin' },
    });
    assert.equal(raise.status, 403);
    for (const [method, url, data] of [
      ['PUT', `/v2/accounts/${t.id}/users`, { username: 'intruder' }],
      ['PATCH', `/v2/accounts/${t.id}/users/${other.id}`, { first_name: 'Hacked' }],
      ['POST', `/v2/accounts/${t.id}/users/${other.id}`, { username: 'grace' }],
      ['DELETE', `/v2/accounts/${t.id}/users/${other.id}`, undefined],
      ['DELETE', `/v2/accounts/${t.id}/users/${me.id}`, undefined],
      ['PATCH', `/v2/accounts/${t.id}/users/${t.bossId}`, { password: 'take-over' }],
    ] as const) {
      const res = await api.call(method, url, { token: me.token, data });
      assert.equal(res.status, 403, `${method} ${url}`);
    }
    assert.equal((await api.server.store.users.get(t.id, other.id))?.first_name, undefined);
    const ownPassword = await api.call('PATCH', `/v2/accounts/${t.id}/users/${me.id}`, {
      token: me.token,
      data: { password: 'Frank-new' },
    });
    assert.equal(ownPassword.status, 200);
    assert.equal(await loginStatus(t.name, 'frank', 'Frank-new'), 201);
  });

  test('If-Match: a stale revision is a 412, the current one or * passes', async () => {
    const made = await api.call('PUT', `/v2/accounts/${t.id}/users`, { token: t.token, data: { username: 'heidi' } });
    const id = made.body.data.id;
    const first = made.body.revision as string;
    const ok = await fetch(`${api.base}/v2/accounts/${t.id}/users/${id}`, {
      method: 'PATCH',
      headers: { 'X-Auth-Token': t.token, 'Content-Type': 'application/json', 'If-Match': `"${first}"` },
      body: JSON.stringify({ data: { first_name: 'Heidi' } }),
    });
    assert.equal(ok.status, 200);
    for (const method of ['PATCH', 'POST', 'DELETE']) {
      const res = await fetch(`${api.base}/v2/accounts/${t.id}/users/${id}`, {
        method,
        headers: {
          'X-Auth-Token': t.token,
          'If-Match': `"${first}"`,
          ...(method === 'DELETE' ? {} : { 'Content-Type': 'application/json' }),
        },
        body: method === 'DELETE' ? undefined : JSON.stringify({ data: { username: 'heidi' } }),
      });
      assert.equal(res.status, 412, method);
      const body = (await res.json()) as { data: { revision: { match: { target: string } } } };
      assert.equal(body.data.revision.match.target, ok.headers.get('etag')?.replace(/"/g, ''));
    }
    const star = await fetch(`${api.base}/v2/accounts/${t.id}/users/${id}`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': t.token, 'If-Match': '*' },
    });
    assert.equal(star.status, 200);
  });

  test('listings page with page_size and next_start_key, and filter', async () => {
    const p = await tenant(api, admin, api.masterId, 'Users Paged');
    const start = Date.now();
    for (let i = 1; i <= 4; i++) {
      const res = await api.call('PUT', `/v2/accounts/${p.id}/users`, {
        token: p.token,
        data: { username: `u${i}`, first_name: i % 2 ? 'Odd' : 'Even' },
      });
      assert.equal(res.status, 201);
    }
    const pages = await walkPages(api, p.token, `/v2/accounts/${p.id}/users`, 2);
    assert.deepEqual(
      pages.map((pg) => pg.length),
      [2, 2, 1],
    );
    const names = pages.flat().map((u) => (u as { username: string }).username);
    assert.deepEqual(names, ['boss', 'u1', 'u2', 'u3', 'u4'], 'every user once, in creation order');

    const odd = await api.call('GET', `/v2/accounts/${p.id}/users?filter_first_name=Odd`, { token: p.token });
    assert.deepEqual(
      odd.body.data.map((u: { username: string }) => u.username),
      ['u1', 'u3'],
    );
    const since = await api.call('GET', `/v2/accounts/${p.id}/users?created_from=${start / 1000}`, {
      token: p.token,
    });
    assert.equal(since.body.data.length, 4, 'created_from leaves the boss out');
    const until = await api.call('GET', `/v2/accounts/${p.id}/users?created_to=${new Date(start).toISOString()}`, {
      token: p.token,
    });
    assert.ok(until.body.data.every((u: { username: string }) => u.username === 'boss'));
    const secret = await api.call('GET', `/v2/accounts/${p.id}/users?filter_password_hash=x`, { token: p.token });
    assert.equal(secret.status, 400);
    assert.ok(secret.body.data.filter_password_hash);
    const badSize = await api.call('GET', `/v2/accounts/${p.id}/users?page_size=0`, { token: p.token });
    assert.equal(badSize.status, 400);
    assert.ok(badSize.body.data.page_size);
  });
});

/** A REGISTER for `user` in `realm`, with credentials when a challenge is given. */
function register(realm: string, user: string, callId: string, cseq: number, auth?: string): SipRequest {
  const h = new Headers();
  h.append('Via', `SIP/2.0/UDP 127.0.0.1:40999;branch=z9hG4bK${Math.random().toString(36).slice(2)}`);
  h.append('Max-Forwards', '70');
  h.append('From', `<sip:${user}@${realm}>;tag=t1`);
  h.append('To', `<sip:${user}@${realm}>`);
  h.append('Call-ID', callId);
  h.append('CSeq', `${cseq} REGISTER`);
  h.append('Contact', `<sip:${user}@127.0.0.1:40999>;expires=600`);
  h.append('User-Agent', 'pivot-test-phone');
  if (auth) h.append('Authorization', auth);
  return {
    kind: 'request',
    method: 'REGISTER',
    uri: `sip:${realm}`,
    version: 'SIP/2.0',
    headers: h,
    body: Buffer.alloc(0),
  };
}

describe('devices', () => {
  let t: Tenant;
  before(async () => {
    t = await tenant(api, admin, api.masterId, 'Devices Inc');
  });

  test('a created device gets a SIP password when none is given, and answers its registration status', async () => {
    const res = await api.call('PUT', `/v2/accounts/${t.id}/devices`, {
      token: t.token,
      data: { name: 'Desk', sip: { username: 'desk' } },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.data.sip.username, 'desk');
    assert.match(res.body.data.sip.password, /^\S{12,}$/, 'a generated password, answered');
    assert.deepEqual(res.body.data.registration, { registered: false, contacts: [] });
    assert.ok(res.body.revision);
    const stored = await api.server.store.devices.get(t.id, res.body.data.id);
    assert.equal(stored?.registration, undefined, 'registration is not stored');
    const anon = await api.call('PUT', `/v2/accounts/${t.id}/devices`, { token: t.token, data: { name: 'Anon' } });
    assert.equal(anon.status, 201);
    assert.match(anon.body.data.sip.username, /^user_[a-z0-9]+$/, 'a username is generated too');
    const given = await api.call('PUT', `/v2/accounts/${t.id}/devices`, {
      token: t.token,
      data: { name: 'Given', sip: { username: 'given', password: 'Given-pw-123' } },
    });
    assert.equal(given.body.data.sip.password, 'Given-pw-123');
  });

  test('sip.username is unique in the account; fields are validated', async () => {
    await api.call('PUT', `/v2/accounts/${t.id}/devices`, { token: t.token, data: { sip: { username: 'dup' } } });
    const dup = await api.call('PUT', `/v2/accounts/${t.id}/devices`, {
      token: t.token,
      data: { sip: { username: 'dup' } },
    });
    assert.equal(dup.status, 409);
    assert.ok(dup.body.data['sip.username'].unique);
    const bad = await api.call('PUT', `/v2/accounts/${t.id}/devices`, {
      token: t.token,
      data: { name: '', enabled: 1, sip: { username: 'a b@c', password: '' } },
    });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.data.name.minLength);
    assert.ok(bad.body.data.enabled.type);
    assert.ok(bad.body.data['sip.username'].pattern);
    assert.ok(bad.body.data['sip.password'].minLength);
    const owner = await api.call('PUT', `/v2/accounts/${t.id}/devices`, {
      token: t.token,
      data: { owner_id: MISSING_ID },
    });
    assert.equal(owner.status, 400);
    assert.ok(owner.body.data.owner_id.not_found);
    const withOwner = await api.call('PUT', `/v2/accounts/${t.id}/devices`, {
      token: t.token,
      data: { owner_id: t.bossId },
    });
    assert.equal(withOwner.status, 201);
  });

  test('registration status comes from the registrar; disabling a device drops its registration', async () => {
    const made = await api.call('PUT', `/v2/accounts/${t.id}/devices`, {
      token: t.token,
      data: { name: 'Phone', sip: { username: 'phone1', password: 'Phone-pw-1' } },
    });
    const id = made.body.data.id;
    const realm = (await api.server.store.accounts.get(t.id))!.realm;
    const registrar = api.server.calls.registrar;
    const source = { protocol: 'udp', address: '127.0.0.1', port: 40999 };
    const challenge = await registrar.handle(register(realm, 'phone1', 'reg-phone1', 1), source);
    assert.equal(challenge.status, 401);
    const auth = authorize(challenge.headers.get('www-authenticate')!, {
      username: 'phone1',
      password: 'Phone-pw-1',
      method: 'REGISTER',
      uri: `sip:${realm}`,
    });
    const ok = await registrar.handle(register(realm, 'phone1', 'reg-phone1', 2, auth), source);
    assert.equal(ok.status, 200);

    const read = await api.call('GET', `/v2/accounts/${t.id}/devices/${id}`, { token: t.token });
    const reg = read.body.data.registration;
    assert.equal(reg.registered, true);
    assert.equal(reg.contacts.length, 1);
    assert.match(reg.contacts[0].contact, /sip:phone1@127\.0\.0\.1:40999/);
    assert.equal(reg.contacts[0].expires, 600);
    assert.ok(reg.contacts[0].expires_in > 590 && reg.contacts[0].expires_in <= 600);
    assert.ok(Date.parse(reg.contacts[0].expires_at) > Date.now());
    assert.equal(reg.contacts[0].source, 'udp:127.0.0.1:40999');
    assert.equal(reg.contacts[0].user_agent, 'pivot-test-phone');

    const status = await api.call('GET', `/v2/accounts/${t.id}/devices/status`, { token: t.token });
    assert.equal(status.status, 200);
    const mine = status.body.data.find((d: { device_id: string }) => d.device_id === id);
    assert.equal(mine.registered, true);
    assert.equal(mine.username, 'phone1');
    assert.ok(
      status.body.data.some((d: { registered: boolean }) => d.registered === false),
      'all devices listed',
    );

    const disabled = await api.call('PATCH', `/v2/accounts/${t.id}/devices/${id}`, {
      token: t.token,
      data: { enabled: false },
    });
    assert.equal(disabled.status, 200);
    assert.deepEqual(disabled.body.data.registration, { registered: false, contacts: [] });
  });

  test('POST keeps the credentials it leaves out; PATCH merges; DELETE removes; a missing id is a 404', async () => {
    const made = await api.call('PUT', `/v2/accounts/${t.id}/devices`, {
      token: t.token,
      data: { name: 'Keep', device_type: 'softphone', sip: { username: 'keep', password: 'Keep-pw-123' } },
    });
    const id = made.body.data.id;
    const replaced = await api.call('POST', `/v2/accounts/${t.id}/devices/${id}`, {
      token: t.token,
      data: { name: 'Kept', registration: { registered: true } },
    });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.data.device_type, undefined);
    assert.deepEqual(
      { username: replaced.body.data.sip.username, password: replaced.body.data.sip.password },
      { username: 'keep', password: 'Keep-pw-123' },
    );
    assert.equal(replaced.body.data.registration.registered, false, 'registration is the registrar’s, not the body’s');
    const patched = await api.call('PATCH', `/v2/accounts/${t.id}/devices/${id}`, {
      token: t.token,
      data: { sip: { password: 'New-pw-456' } },
    });
    assert.equal(patched.body.data.sip.username, 'keep', 'PATCH merges nested objects');
    assert.equal(patched.body.data.sip.password, 'New-pw-456');
    assert.equal((await api.call('DELETE', `/v2/accounts/${t.id}/devices/${id}`, { token: t.token })).status, 200);
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE'] as const) {
      const res = await api.call(method, `/v2/accounts/${t.id}/devices/${id}`, {
        token: t.token,
        data: method === 'POST' || method === 'PATCH' ? { name: 'x' } : undefined,
      });
      assert.equal(res.status, 404, method);
      assert.equal(res.body.message, 'device not found');
    }
  });

  test('a user token reads devices but not others’ SIP passwords, and cannot write', async () => {
    const reader = await plainUser(api, t, 'reader');
    const mine = await api.call('PUT', `/v2/accounts/${t.id}/devices`, {
      token: t.token,
      data: { name: 'Mine', owner_id: reader.id, sip: { username: 'mine', password: 'Mine-pw-123' } },
    });
    const theirs = await api.call('PUT', `/v2/accounts/${t.id}/devices`, {
      token: t.token,
      data: { name: 'Theirs', sip: { username: 'theirs', password: 'Theirs-pw-123' } },
    });
    const own = await api.call('GET', `/v2/accounts/${t.id}/devices/${mine.body.data.id}`, { token: reader.token });
    assert.equal(own.body.data.sip.password, 'Mine-pw-123');
    const other = await api.call('GET', `/v2/accounts/${t.id}/devices/${theirs.body.data.id}`, {
      token: reader.token,
    });
    assert.equal(other.status, 200);
    assert.equal(other.body.data.sip.password, undefined);
    assert.equal(other.body.data.sip.username, 'theirs');
    const list = await api.call('GET', `/v2/accounts/${t.id}/devices`, { token: reader.token });
    assert.ok(!JSON.stringify(list.body.data).includes('Theirs-pw-123'));
    const oracle = await api.call('GET', `/v2/accounts/${t.id}/devices?filter_sip.password=Theirs-pw-123`, {
      token: reader.token,
    });
    assert.equal(oracle.status, 400, 'no filtering on secrets');
    for (const [method, url] of [
      ['PUT', `/v2/accounts/${t.id}/devices`],
      ['POST', `/v2/accounts/${t.id}/devices/${mine.body.data.id}`],
      ['PATCH', `/v2/accounts/${t.id}/devices/${mine.body.data.id}`],
      ['DELETE', `/v2/accounts/${t.id}/devices/${mine.body.data.id}`],
    ] as const) {
      const res = await api.call(method, url, { token: reader.token, data: method === 'DELETE' ? undefined : {} });
      assert.equal(res.status, 403, `${method} ${url}`);
    }
  });

  test('listings page and filter', async () => {
    const p = await tenant(api, admin, api.masterId, 'Devices Paged');
    for (let i = 1; i <= 5; i++) {
      await api.call('PUT', `/v2/accounts/${p.id}/devices`, {
        token: p.token,
        data: { name: `d${i}`, device_type: i <= 2 ? 'softphone' : 'sip_device', sip: { username: `d${i}` } },
      });
    }
    const pages = await walkPages(api, p.token, `/v2/accounts/${p.id}/devices`, 2);
    assert.deepEqual(
      pages.map((pg) => pg.length),
      [2, 2, 1],
    );
    assert.deepEqual(
      pages.flat().map((d) => (d as { name: string }).name),
      ['d1', 'd2', 'd3', 'd4', 'd5'],
    );
    const soft = await walkPages(api, p.token, `/v2/accounts/${p.id}/devices?filter_device_type=softphone`, 1);
    assert.deepEqual(
      soft.flat().map((d) => (d as { name: string }).name),
      ['d1', 'd2'],
    );
    const bySip = await api.call('GET', `/v2/accounts/${p.id}/devices?filter_sip.username=d4`, { token: p.token });
    assert.deepEqual(
      bySip.body.data.map((d: { name: string }) => d.name),
      ['d4'],
    );
  });
});

describe('tenant isolation for users and devices', () => {
  test('siblings and parents are out of reach for every verb; another account’s id is a 404', async () => {
    const a = await tenant(api, admin, api.masterId, 'Iso A');
    const b = await tenant(api, admin, api.masterId, 'Iso B');
    const a1 = await tenant(api, a.token, a.id, 'Iso A1');
    const docs = {
      users: (n: string) => ({ username: n }),
      devices: (n: string) => ({ name: n, sip: { username: n } }),
    };
    for (const [path, body] of Object.entries(docs)) {
      const inB = await api.call('PUT', `/v2/accounts/${b.id}/${path}`, { token: b.token, data: body('inb') });
      const inA = await api.call('PUT', `/v2/accounts/${a.id}/${path}`, { token: a.token, data: body('ina') });
      assert.equal(inB.status, 201);
      assert.equal(inA.status, 201);
      const verbs = (account: string, id: string) =>
        [
          ['GET', `/v2/accounts/${account}/${path}`, undefined],
          ['PUT', `/v2/accounts/${account}/${path}`, body('intruder')],
          ['GET', `/v2/accounts/${account}/${path}/${id}`, undefined],
          ['POST', `/v2/accounts/${account}/${path}/${id}`, body('taken')],
          ['PATCH', `/v2/accounts/${account}/${path}/${id}`, { name: 'taken' }],
          ['DELETE', `/v2/accounts/${account}/${path}/${id}`, undefined],
        ] as const;
      for (const [method, url, data] of verbs(b.id, inB.body.data.id)) {
        const res = await api.call(method, url, { token: a.token, data });
        assert.equal(res.status, 403, `A on sibling B: ${method} ${url}`);
      }
      for (const [method, url, data] of verbs(a.id, inA.body.data.id)) {
        const res = await api.call(method, url, { token: a1.token, data });
        assert.equal(res.status, 403, `A1 on parent A: ${method} ${url}`);
      }
      for (const [method, url, data] of verbs(a.id, inB.body.data.id).slice(2)) {
        const res = await api.call(method, url, { token: a.token, data });
        assert.equal(res.status, 404, `B's id under A: ${method} ${url}`);
        assert.ok(!JSON.stringify(res.body).includes('inb'), 'nothing of B’s document');
      }
      const still = await api.call('GET', `/v2/accounts/${b.id}/${path}/${inB.body.data.id}`, { token: b.token });
      assert.equal(still.status, 200);
      assert.ok(JSON.stringify(still.body.data).includes('inb'), 'B’s document is unchanged');
      const parent = await api.call('GET', `/v2/accounts/${a1.id}/${path}`, { token: a.token });
      assert.equal(parent.status, 200, 'a parent reaches its sub-account');
    }
    assert.equal((await api.call('GET', `/v2/accounts/${b.id}/devices/status`, { token: a.token })).status, 403);
    assert.equal((await api.call('GET', `/v2/accounts/${a.id}/devices/status`, { token: a1.token })).status, 403);
  });
});
