// The REST API's logins and accounts over real HTTP against a started Pivot: user_auth (md5 credentials, username
// and password, realm, phone number), api_auth, token_auth, expired and revoked tokens, lockout; sub-accounts and
// the tenant rule (an account reaches itself and its descendants only); the crossbar envelope and its errors.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { credentialsOf, hashPassword } from '../../src/api/passwords.js';
import { apiServer, type ApiServer } from '../helpers/api.js';
import { tenant as newTenant } from '../helpers/tenants.js';

let api: ApiServer;
let admin: string;

before(async () => {
  api = await apiServer({ min: 39100, max: 39199 });
  admin = await api.login('admin', 'admin', api.adminPassword);
});

after(async () => {
  await api.stop();
});

/** A sub-account of `parent` with an admin user; returns its id and the user's token. */
/** A sub-account of `parentId` with an admin user `boss` logged in. */
const tenant = (parentToken: string, parentId: string, name: string) => newTenant(api, parentToken, parentId, name);

describe('user_auth', () => {
  test('md5 credentials and account_name give a token in the crossbar envelope', async () => {
    const res = await api.call('PUT', '/v2/user_auth', {
      data: { credentials: credentialsOf('admin', api.adminPassword), account_name: 'admin' },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'success');
    assert.match(String(res.body.auth_token), /^[A-Za-z0-9_-]{43}$/);
    assert.match(String(res.body.request_id), /^[0-9a-f]{32}$/);
    assert.equal(res.headers.get('x-request-id'), res.body.request_id);
    assert.equal(res.body.data.account_id, api.masterId);
    assert.equal(res.body.data.account_name, 'admin');
    assert.equal(res.body.data.priv_level, 'admin');
    assert.ok(res.body.data.owner_id, 'the user the token acts for');
    assert.ok(Date.parse(res.body.data.expires) > Date.now(), 'an expiry in the future');
  });

  test('username and password, by account realm or by a phone number of the account', async () => {
    const master = await api.server.store.accounts.get(api.masterId);
    const byRealm = await api.call('PUT', '/v2/user_auth', {
      data: { username: 'ADMIN', password: api.adminPassword, account_realm: master!.realm },
    });
    assert.equal(byRealm.status, 201, JSON.stringify(byRealm.body));
    await api.server.store.phoneNumbers.assign(api.masterId, '+14155550177');
    const byNumber = await api.call('PUT', '/v2/user_auth', {
      data: { credentials: credentialsOf('admin', api.adminPassword), phone_number: '(415) 555-0177' },
    });
    assert.equal(byNumber.status, 201, JSON.stringify(byNumber.body));
  });

  test('a wrong password, an unknown account and a missing field are told apart', async () => {
    const wrong = await api.call('PUT', '/v2/user_auth', {
      data: { credentials: credentialsOf('admin', 'nope'), account_name: 'admin' },
    });
    assert.equal(wrong.status, 401);
    assert.deepEqual(
      { status: wrong.body.status, error: wrong.body.error, message: wrong.body.message },
      { status: 'error', error: '401', message: 'invalid credentials' },
    );
    const unknown = await api.call('PUT', '/v2/user_auth', {
      data: { credentials: credentialsOf('admin', api.adminPassword), account_name: 'no-such-account' },
    });
    assert.equal(unknown.status, 401);
    const missing = await api.call('PUT', '/v2/user_auth', { data: { credentials: 'abc' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.message, 'invalid data');
    assert.ok(missing.body.data.credentials.pattern, 'credentials must be 32 hex digits');
  });

  test('failed logins lock the client out of that account (429 with Retry-After), others still log in', async () => {
    const { id } = await tenant(admin, api.masterId, 'Lockout Inc');
    for (let i = 0; i < 5; i++) {
      const res = await api.call('PUT', '/v2/user_auth', {
        data: { credentials: credentialsOf('boss', 'guess' + i), account_name: 'Lockout Inc' },
      });
      assert.equal(res.status, 401);
    }
    const locked = await api.call('PUT', '/v2/user_auth', {
      data: { credentials: credentialsOf('boss', 'Lockout Inc-secret'), account_name: 'Lockout Inc' },
    });
    assert.equal(locked.status, 429, 'even the right password is refused while locked out');
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    assert.match(String(locked.body.message), /too many failed logins/);
    assert.equal((await api.call('GET', `/v2/accounts/${id}`, { token: admin })).status, 200);
    await api.login('admin', 'admin', api.adminPassword);
  });
});

describe('tokens', () => {
  test('requests need a token; unknown, expired and revoked ones get a 401 that says which', async () => {
    const none = await api.call('GET', `/v2/accounts/${api.masterId}`);
    assert.equal(none.status, 401);
    assert.match(String(none.body.message), /X-Auth-Token/);
    const garbage = await api.call('GET', `/v2/accounts/${api.masterId}`, { token: 'not-a-token' });
    assert.equal(garbage.status, 401);
    assert.match(String(garbage.body.message), /unknown or was revoked/);

    const expired = 'expired-token-for-the-test-0000000000000000';
    await api.server.store.authTokens.add({
      id: createHash('sha256').update(expired).digest('hex'),
      account_id: api.masterId,
      priv_level: 'admin',
      method: 'user_auth',
      created: Date.now() - 7_200_000,
      expires: Date.now() - 3_600_000,
    });
    const old = await api.call('GET', `/v2/accounts/${api.masterId}`, { token: expired });
    assert.equal(old.status, 401);
    assert.match(String(old.body.message), /expired/);

    const token = await api.login('admin', 'admin', api.adminPassword);
    const info = await api.call('GET', '/v2/token_auth', { token });
    assert.equal(info.status, 200);
    assert.equal(info.body.data.account_id, api.masterId);
    assert.equal(info.body.auth_token, token);
    const bearer = await fetch(`${api.base}/v2/token_auth`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(bearer.status, 200, 'Authorization: Bearer works too');
    assert.equal((await api.call('DELETE', '/v2/token_auth', { token })).status, 200);
    const revoked = await api.call('GET', `/v2/accounts/${api.masterId}`, { token });
    assert.equal(revoked.status, 401);
  });

  test('an API key logs in with api_auth; a new key replaces the old one; the key is stored as a digest', async () => {
    const made = await api.call('PUT', `/v2/accounts/${api.masterId}/api_key`, { token: admin });
    assert.equal(made.status, 201);
    const key = made.body.data.api_key as string;
    const shown = await api.call('GET', `/v2/accounts/${api.masterId}/api_key`, { token: admin });
    assert.equal(shown.body.data.has_api_key, true);
    assert.equal(shown.body.data.api_key, undefined, 'the key is never shown again');
    const login = await api.call('PUT', '/v2/api_auth', { data: { api_key: key } });
    assert.equal(login.status, 201);
    assert.equal(login.body.data.account_id, api.masterId);
    assert.equal(login.body.data.method, 'api_auth');
    const again = await api.call('GET', `/v2/accounts/${api.masterId}`, { token: login.body.auth_token });
    assert.equal(again.status, 200);

    await api.call('PUT', `/v2/accounts/${api.masterId}/api_key`, { token: admin });
    const stale = await api.call('PUT', '/v2/api_auth', { data: { api_key: key } });
    assert.equal(stale.status, 401);
    assert.equal(await api.server.store.apiKeys.accountFor(key), undefined, 'the key itself is not a lookup key');
  });
});

describe('accounts', () => {
  test('a sub-account is created under its parent, with a realm of its own, and listed by the parent', async () => {
    const res = await api.call('PUT', `/v2/accounts/${api.masterId}`, {
      token: admin,
      data: { name: 'Acme Widgets', timezone: 'America/New_York' },
    });
    assert.equal(res.status, 201);
    const child = res.body.data;
    assert.equal(child.parent_id, api.masterId);
    assert.match(child.realm, /^acme-widgets\./);
    assert.equal(child.signing_key, undefined, 'no secrets in account documents');
    assert.equal(child.tree, undefined);
    assert.ok(res.body.revision);
    const children = await api.call('GET', `/v2/accounts/${api.masterId}/children`, { token: admin });
    assert.ok(children.body.data.some((a: { id: string }) => a.id === child.id));
    const patched = await api.call('PATCH', `/v2/accounts/${child.id}`, { token: admin, data: { language: 'fr-fr' } });
    assert.equal(patched.body.data.language, 'fr-fr');
    assert.equal(patched.body.data.timezone, 'America/New_York', 'PATCH keeps the other fields');
    const replaced = await api.call('POST', `/v2/accounts/${child.id}`, {
      token: admin,
      data: { name: 'Acme Widgets' },
    });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.data.timezone, undefined, 'POST replaces the document');
    assert.equal(replaced.body.data.realm, child.realm, 'the realm stays');
    assert.equal(replaced.body.data.parent_id, api.masterId, 'the tree cannot move');
  });

  test('validation names every failing field and rule; a name already used is a 409', async () => {
    const bad = await api.call('PUT', `/v2/accounts/${api.masterId}`, {
      token: admin,
      data: { realm: 'not a realm!', enabled: 'yes' },
    });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.data.name.required);
    assert.ok(bad.body.data.realm.pattern);
    assert.equal(bad.body.data.enabled.type.target, 'boolean');
    await api.call('PUT', `/v2/accounts/${api.masterId}`, { token: admin, data: { name: 'Twice' } });
    const dup = await api.call('PUT', `/v2/accounts/${api.masterId}`, { token: admin, data: { name: 'twice' } });
    assert.equal(dup.status, 409);
    assert.ok(dup.body.data.name.unique);
  });

  test('tenants are isolated: siblings and parents are out of reach, descendants in reach', async () => {
    const a = await tenant(admin, api.masterId, 'Tenant A');
    const b = await tenant(admin, api.masterId, 'Tenant B');
    const a1 = await tenant(a.token, a.id, 'Tenant A1');
    for (const [method, data] of [
      ['GET', undefined],
      ['PATCH', { language: 'de' }],
      ['POST', { name: 'Taken over' }],
      ['DELETE', undefined],
      ['PUT', { name: 'Intruder child' }],
    ] as const) {
      for (const target of [b.id, api.masterId]) {
        const res = await api.call(method, `/v2/accounts/${target}`, { token: a.token, data });
        assert.equal(res.status, 403, `${method} on ${target === b.id ? 'a sibling' : 'the parent'}: ${res.status}`);
      }
      const up = await api.call(method, `/v2/accounts/${a.id}`, { token: a1.token, data });
      assert.ok([403].includes(up.status), `a sub-account cannot ${method} its parent (${up.status})`);
    }
    for (const sub of ['children', 'descendants', 'parents', 'pivot/signing_key', 'api_key']) {
      assert.equal((await api.call('GET', `/v2/accounts/${b.id}/${sub}`, { token: a.token })).status, 403, sub);
    }
    const missing = await api.call('GET', '/v2/accounts/0123456789abcdef0123456789abcdef', { token: a.token });
    assert.equal(missing.status, 403, 'an id that does not exist answers as one out of reach');

    assert.equal((await api.call('GET', `/v2/accounts/${a1.id}`, { token: a.token })).status, 200);
    const desc = await api.call('GET', `/v2/accounts/${api.masterId}/descendants`, { token: admin });
    const ids = desc.body.data.map((x: { id: string }) => x.id);
    assert.ok(ids.indexOf(a.id) < ids.indexOf(a1.id), 'parents before their children');
    const parents = await api.call('GET', `/v2/accounts/${a1.id}/parents`, { token: a.token });
    assert.deepEqual(
      parents.body.data.map((x: { id: string }) => x.id),
      [a.id],
      'A sees itself as A1’s parent, never the master above it',
    );
    const deleteSelf = await api.call('DELETE', `/v2/accounts/${a.id}`, { token: a.token });
    assert.equal(deleteSelf.status, 403);
    const withChildren = await api.call('DELETE', `/v2/accounts/${a.id}`, { token: admin });
    assert.equal(withChildren.status, 409, 'an account with sub-accounts is not deleted');
    assert.equal((await api.call('DELETE', `/v2/accounts/${a1.id}`, { token: a.token })).status, 200);
    assert.equal((await api.call('GET', `/v2/accounts/${a1.id}`, { token: a.token })).status, 403);
    const loginGone = await api.call('PUT', '/v2/user_auth', {
      data: { credentials: credentialsOf('boss', 'Tenant A1-secret'), account_name: 'Tenant A1' },
    });
    assert.equal(loginGone.status, 401, 'a deleted account cannot log in');
  });

  test('user tokens read but do not change; the signing key is read and rotated by admins', async () => {
    const { id } = await tenant(admin, api.masterId, 'Readers');
    await api.server.store.users.create(id, {
      username: 'reader',
      priv_level: 'user',
      password_hash: await hashPassword(id, 'reader', 'read-only'),
    });
    const reader = await api.login('Readers', 'reader', 'read-only');
    assert.equal((await api.call('GET', `/v2/accounts/${id}`, { token: reader })).status, 200);
    const patch = await api.call('PATCH', `/v2/accounts/${id}`, { token: reader, data: { language: 'es' } });
    assert.equal(patch.status, 403);
    assert.equal((await api.call('GET', `/v2/accounts/${id}/pivot/signing_key`, { token: reader })).status, 403);

    const before = await api.call('GET', `/v2/accounts/${id}/pivot/signing_key`, { token: admin });
    assert.match(before.body.data.signing_key, /^[0-9a-f]{64}$/);
    const rotated = await api.call('PUT', `/v2/accounts/${id}/pivot/signing_key`, { token: admin });
    assert.notEqual(rotated.body.data.signing_key, before.body.data.signing_key);
    assert.equal((await api.server.store.accounts.get(id))?.signing_key, rotated.body.data.signing_key);
  });
});

describe('the envelope of errors', () => {
  test('unknown endpoints, bad JSON, wrong content type and a body too large get crossbar errors', async () => {
    const nowhere = await api.call('GET', '/v2/nowhere', { token: admin });
    assert.equal(nowhere.status, 404);
    assert.equal(nowhere.body.status, 'error');
    const badJson = await api.call('PUT', `/v2/accounts/${api.masterId}`, { token: admin, body: '{"data": {' });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.message, 'invalid json');
    const text = await api.call('PUT', `/v2/accounts/${api.masterId}`, { token: admin, body: 'x', type: 'text/plain' });
    assert.equal(text.status, 415);
    const big = await api.call('PUT', `/v2/accounts/${api.masterId}`, {
      token: admin,
      data: { name: 'x'.repeat(2_000_000) },
    });
    assert.equal(big.status, 413);
    const noData = await api.call('PUT', `/v2/accounts/${api.masterId}`, { token: admin, body: '{"name": "x"}' });
    assert.equal(noData.status, 400);
    assert.ok(noData.body.data.data, 'the missing `data` wrapper is named');
  });
});
