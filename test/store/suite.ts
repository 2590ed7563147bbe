// The repository contract, written once and run against every Store implementation (SQLite now, PostgreSQL
// later): `runStoreSuite('postgres', () => openPgStore(...))`.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  ConflictError,
  LATEST_VERSION,
  NotFoundError,
  ValidationError,
  type AccountDoc,
  type DocRepo,
  type Extensible,
  type PivotCallSummary,
  type PivotDebugInput,
  type Store,
} from '../../src/store/index.js';
import { foldRecord } from '../../src/store/pivot-debug.js';

const HEX32 = /^[0-9a-f]{32}$/;

function conflict(field: string) {
  return (err: unknown) => err instanceof ConflictError && err.field === field;
}

function notFound(err: unknown): boolean {
  return err instanceof NotFoundError;
}

export function runStoreSuite(name: string, open: () => Promise<Store>): void {
  describe(`store: ${name}`, () => {
    let store: Store;
    let a: AccountDoc;
    let b: AccountDoc;

    beforeEach(async () => {
      store = await open();
      a = await store.accounts.create({ name: 'Acme', realm: 'acme.sip.test' });
      b = await store.accounts.create({ name: 'Bravo', realm: 'bravo.sip.test' });
    });

    afterEach(async () => {
      await store.close();
    });

    it('reports the latest schema version', async () => {
      assert.equal(await store.schemaVersion(), LATEST_VERSION);
    });

    describe('accounts', () => {
      it('creates with defaults and reads back', async () => {
        assert.match(a.id, HEX32);
        assert.deepEqual(a.tree, []);
        assert.equal(a.enabled, true);
        assert.match(a.signing_key, /^[0-9a-f]{64}$/);
        assert.notEqual(a.signing_key, b.signing_key);
        assert.equal(typeof a.created, 'number');
        assert.ok(a.modified >= a.created);
        assert.equal('parent_id' in a, false);
        assert.deepEqual(await store.accounts.get(a.id), a);
        assert.equal(await store.accounts.get('0'.repeat(32)), undefined);
      });

      it('keeps extra fields and merges updates', async () => {
        const c = await store.accounts.create({
          name: 'Charlie',
          realm: 'charlie.sip.test',
          timezone: 'Europe/Paris',
          caller_id: { external: { number: '+33100000000', name: 'Charlie' } },
          custom: { a: 1, b: 2 },
        });
        const u = await store.accounts.update(c.id, {
          language: 'fr-fr',
          custom: { b: null, c: 3 },
          caller_id: { internal: { number: '100' } },
        });
        assert.equal(u.language, 'fr-fr');
        assert.equal(u.timezone, 'Europe/Paris');
        assert.deepEqual(u.custom, { a: 1, c: 3 });
        assert.deepEqual(u.caller_id, {
          external: { number: '+33100000000', name: 'Charlie' },
          internal: { number: '100' },
        });
        assert.ok(u.modified > c.modified);
        assert.equal(u.created, c.created);
        assert.equal(u.signing_key, c.signing_key);
        assert.deepEqual(await store.accounts.get(c.id), u);

        const rotated = await store.accounts.update(c.id, { signing_key: 'f'.repeat(64), enabled: false });
        assert.equal(rotated.signing_key, 'f'.repeat(64));
        assert.equal(rotated.enabled, false);
      });

      it('ignores attempts to move the account or change owned fields in update', async () => {
        const child = await store.accounts.create({ name: 'Child', realm: 'child.sip.test', parent_id: a.id });
        const u = await store.accounts.update(child.id, {
          parent_id: b.id,
          tree: [],
          id: 'x',
          created: 1,
        } as never);
        assert.equal(u.id, child.id);
        assert.equal(u.parent_id, a.id);
        assert.deepEqual(u.tree, [a.id]);
        assert.equal(u.created, child.created);
        assert.equal(await store.accounts.isDescendant(a.id, child.id), true);
        assert.equal(await store.accounts.isDescendant(b.id, child.id), false);
      });

      it('finds by name and realm, case-insensitively', async () => {
        assert.equal((await store.accounts.findByName('ACME'))?.id, a.id);
        assert.equal((await store.accounts.findByRealm('Bravo.SIP.test'))?.id, b.id);
        assert.equal(await store.accounts.findByName('nobody'), undefined);
        assert.equal(await store.accounts.findByRealm('nowhere.test'), undefined);
      });

      it('enforces unique name and realm', async () => {
        await assert.rejects(store.accounts.create({ name: 'acme', realm: 'other.sip.test' }), conflict('name'));
        await assert.rejects(store.accounts.create({ name: 'Other', realm: 'ACME.sip.test' }), conflict('realm'));
        await assert.rejects(store.accounts.update(b.id, { name: 'ACME' }), conflict('name'));
        await assert.rejects(store.accounts.update(b.id, { realm: 'acme.SIP.test' }), conflict('realm'));
        // The failed update changed nothing.
        assert.equal((await store.accounts.get(b.id))?.name, 'Bravo');
        // Renaming to a free name, or to a different case of one's own, is fine.
        assert.equal((await store.accounts.update(b.id, { name: 'BRAVO' })).name, 'BRAVO');
      });

      it('requires name and realm', async () => {
        await assert.rejects(
          store.accounts.create({ name: '', realm: 'x.test' }),
          (e: unknown) => e instanceof ValidationError && e.field === 'name',
        );
        await assert.rejects(
          store.accounts.update(a.id, { realm: null }),
          (e: unknown) => e instanceof ValidationError && e.field === 'realm',
        );
      });

      it('maintains the tree: children, descendants, isDescendant', async () => {
        const a1 = await store.accounts.create({ name: 'A1', realm: 'a1.test', parent_id: a.id });
        const a2 = await store.accounts.create({ name: 'A2', realm: 'a2.test', parent_id: a.id });
        const a1x = await store.accounts.create({ name: 'A1x', realm: 'a1x.test', parent_id: a1.id });
        const a1xy = await store.accounts.create({ name: 'A1xy', realm: 'a1xy.test', parent_id: a1x.id });
        const b1 = await store.accounts.create({ name: 'B1', realm: 'b1.test', parent_id: b.id });

        assert.deepEqual(a1xy.tree, [a.id, a1.id, a1x.id]);
        assert.equal(a1xy.parent_id, a1x.id);
        assert.deepEqual((await store.accounts.get(a1x.id))?.tree, [a.id, a1.id]);

        assert.deepEqual(
          (await store.accounts.children(a.id)).map((x) => x.name),
          ['A1', 'A2'],
        );
        assert.deepEqual(
          (await store.accounts.children(a1x.id)).map((x) => x.name),
          ['A1xy'],
        );
        assert.deepEqual(await store.accounts.children(a2.id), []);
        // Parents before their children.
        assert.deepEqual(
          (await store.accounts.descendants(a.id)).map((x) => x.name),
          ['A1', 'A2', 'A1x', 'A1xy'],
        );
        assert.deepEqual(
          (await store.accounts.descendants(b.id)).map((x) => x.id),
          [b1.id],
        );

        assert.equal(await store.accounts.isDescendant(a.id, a1xy.id), true);
        assert.equal(await store.accounts.isDescendant(a1.id, a1xy.id), true);
        assert.equal(await store.accounts.isDescendant(a2.id, a1xy.id), false);
        assert.equal(await store.accounts.isDescendant(a1xy.id, a.id), false);
        assert.equal(await store.accounts.isDescendant(a.id, a.id), false);
        assert.equal(await store.accounts.isDescendant(a.id, b1.id), false);
      });

      it('refuses a missing parent', async () => {
        await assert.rejects(
          store.accounts.create({ name: 'Orphan', realm: 'orphan.test', parent_id: 'f'.repeat(32) }),
          notFound,
        );
        assert.equal(await store.accounts.findByName('Orphan'), undefined);
      });

      it('deletes leaves only, cascading their documents and numbers', async () => {
        const child = await store.accounts.create({ name: 'Child', realm: 'child.test', parent_id: a.id });
        await assert.rejects(store.accounts.delete(a.id), conflict('children'));

        const user = await store.users.create(child.id, { username: 'kid' });
        const cf = await store.callflows.create(child.id, { numbers: ['+15550001111'] });
        await store.phoneNumbers.assign(child.id, '+15550001111');
        await store.pivotDebug.add(child.id, { call_id: 'c1', iteration: 1, kind: 'request', uri: 'http://x/' });

        await store.accounts.delete(child.id);
        assert.equal(await store.accounts.get(child.id), undefined);
        assert.equal(await store.users.get(child.id, user.id), undefined);
        assert.equal(await store.callflows.get(child.id, cf.id), undefined);
        assert.equal(await store.phoneNumbers.get('+15550001111'), undefined);
        assert.deepEqual(await store.pivotDebug.forCall(child.id, 'c1'), []);
        assert.deepEqual(await store.accounts.descendants(a.id), []);
        // The number is free again.
        assert.equal((await store.phoneNumbers.assign(b.id, '+15550001111')).account_id, b.id);

        await store.accounts.delete(a.id);
        assert.equal(await store.accounts.get(a.id), undefined);
        await assert.rejects(store.accounts.delete(a.id), notFound);
      });
    });

    describe('document repositories', () => {
      type Case = { repo: DocRepo<Extensible>; sample: Extensible; patch: Extensible };
      const cases = (): Record<string, Case> => ({
        users: { repo: store.users, sample: { username: 'alice', first_name: 'Alice' }, patch: { last_name: 'A' } },
        devices: {
          repo: store.devices,
          sample: { name: 'desk', sip: { username: 'desk1', password: 'pw' } },
          patch: { sip: { password: 'pw2' } },
        },
        callflows: {
          repo: store.callflows,
          sample: { numbers: ['100'], flow: { module: 'pivot', data: { voice_url: 'http://x/' } } },
          patch: { name: 'main' },
        },
        menus: { repo: store.menus, sample: { name: 'main menu', retries: 3 }, patch: { retries: 5 } },
        temporalRules: {
          repo: store.temporalRules,
          sample: { name: 'weekdays', cycle: 'weekly', wdays: ['monday'] },
          patch: { wdays: ['monday', 'tuesday'] },
        },
        media: {
          repo: store.media as DocRepo<Extensible>,
          sample: { name: 'hello', media_source: 'tts', tts: { text: 'Hello', voice: 'female', language: 'en-US' } },
          patch: { tts: { text: 'Hi' } },
        },
        vmboxes: {
          repo: store.vmboxes as DocRepo<Extensible>,
          sample: { mailbox: '200', name: 'box' },
          patch: { pin: '1234' },
        },
        conferences: {
          repo: store.conferences,
          sample: { name: 'room', member: { pins: [] } },
          patch: { name: 'room 2' },
        },
        resources: {
          repo: store.resources,
          sample: { name: 'carrier', gateways: [{ server: 'sip.carrier.test' }] },
          patch: { weight_cost: 10 },
        },
      });

      for (const repoName of [
        'users',
        'devices',
        'callflows',
        'menus',
        'temporalRules',
        'media',
        'vmboxes',
        'conferences',
        'resources',
      ]) {
        it(`${repoName}: create, get, update, replace, list, delete`, async () => {
          const { repo, sample, patch } = cases()[repoName];
          const doc = await repo.create(a.id, sample);
          assert.match(doc.id, HEX32);
          assert.equal(doc.account_id, a.id);
          assert.equal(typeof doc.created, 'number');
          assert.deepEqual(await repo.get(a.id, doc.id), { ...sample, ...doc });
          for (const [k, v] of Object.entries(sample)) assert.deepEqual(doc[k], v);

          const updated = await repo.update(a.id, doc.id, patch);
          assert.ok(updated.modified > doc.modified);
          assert.equal(updated.created, doc.created);
          assert.deepEqual(await repo.get(a.id, doc.id), updated);
          for (const [k, v] of Object.entries(patch)) {
            const merged =
              typeof v === 'object' && v !== null && !Array.isArray(v)
                ? { ...(sample[k] as object), ...(v as object) }
                : v;
            assert.deepEqual(updated[k], merged);
          }

          const replaced = await repo.replace(a.id, doc.id, { name: 'only' });
          assert.deepEqual(await repo.get(a.id, doc.id), replaced);
          assert.equal(replaced.name, 'only');
          assert.deepEqual(Object.keys(replaced).sort(), ['account_id', 'created', 'id', 'modified', 'name'].sort());
          assert.ok(replaced.modified > updated.modified);

          const second = await repo.create(a.id, sample.mailbox ? { ...sample, mailbox: '201' } : { name: 'two' });
          const listed = await repo.list(a.id);
          assert.deepEqual(
            listed.items.map((d) => d.id),
            [doc.id, second.id],
          );
          assert.equal(listed.nextStartKey, undefined);

          await repo.delete(a.id, doc.id);
          assert.equal(await repo.get(a.id, doc.id), undefined);
          await assert.rejects(repo.delete(a.id, doc.id), notFound);
          await assert.rejects(repo.update(a.id, doc.id, { name: 'x' }), notFound);
          assert.deepEqual(
            (await repo.list(a.id)).items.map((d) => d.id),
            [second.id],
          );
        });

        it(`${repoName}: tenant isolation`, async () => {
          const { repo, sample } = cases()[repoName];
          const doc = await repo.create(a.id, sample);
          assert.equal(await repo.get(b.id, doc.id), undefined);
          await assert.rejects(repo.update(b.id, doc.id, { name: 'stolen' }), notFound);
          await assert.rejects(repo.replace(b.id, doc.id, { name: 'stolen' }), notFound);
          await assert.rejects(repo.delete(b.id, doc.id), notFound);
          assert.deepEqual((await repo.list(b.id)).items, []);
          // A's document is untouched.
          assert.deepEqual(await repo.get(a.id, doc.id), doc);
          assert.equal((await repo.list(a.id)).items.length, 1);
          // No documents for an account that does not exist.
          await assert.rejects(repo.create('0'.repeat(32), sample), notFound);
        });
      }

      it('keeps caller-chosen ids unique', async () => {
        const id = 'a'.repeat(32);
        assert.equal((await store.menus.create(a.id, { id, name: 'm' })).id, id);
        await assert.rejects(store.menus.create(b.id, { id, name: 'm' }), conflict('id'));
      });

      it('users: findByUsername, unique per account', async () => {
        const u = await store.users.create(a.id, { username: 'Alice' });
        assert.equal((await store.users.findByUsername(a.id, 'alice'))?.id, u.id);
        assert.equal((await store.users.findByUsername(a.id, 'ALICE'))?.username, 'Alice');
        assert.equal(await store.users.findByUsername(b.id, 'alice'), undefined);
        await assert.rejects(store.users.create(a.id, { username: 'alice' }), conflict('username'));
        // Same username in another account is fine; users without one don't clash.
        assert.equal((await store.users.create(b.id, { username: 'alice' })).account_id, b.id);
        await store.users.create(a.id, { first_name: 'x' });
        await store.users.create(a.id, { first_name: 'y' });
        // Renaming frees the old username.
        await store.users.update(a.id, u.id, { username: 'alicia' });
        assert.equal(await store.users.findByUsername(a.id, 'alice'), undefined);
        assert.equal((await store.users.findByUsername(a.id, 'alicia'))?.id, u.id);
      });

      it('devices: findBySipUsername, listByOwner, unique sip.username', async () => {
        const owner = await store.users.create(a.id, { username: 'bob' });
        const d1 = await store.devices.create(a.id, { name: 'd1', owner_id: owner.id, sip: { username: 'dev1' } });
        const d2 = await store.devices.create(a.id, { name: 'd2', owner_id: owner.id, sip: { username: 'dev2' } });
        await store.devices.create(a.id, { name: 'd3', sip: { username: 'dev3' } });
        assert.equal((await store.devices.findBySipUsername(a.id, 'dev2'))?.id, d2.id);
        assert.equal(await store.devices.findBySipUsername(b.id, 'dev2'), undefined);
        assert.deepEqual(
          (await store.devices.listByOwner(a.id, owner.id)).map((d) => d.id),
          [d1.id, d2.id],
        );
        assert.deepEqual(await store.devices.listByOwner(b.id, owner.id), []);
        await assert.rejects(store.devices.create(a.id, { sip: { username: 'dev1' } }), conflict('sip.username'));
        assert.equal((await store.devices.create(b.id, { sip: { username: 'dev1' } })).account_id, b.id);
        await store.devices.update(a.id, d1.id, { owner_id: null });
        assert.deepEqual(
          (await store.devices.listByOwner(a.id, owner.id)).map((d) => d.id),
          [d2.id],
        );
      });

      it('vmboxes: findByMailbox, unique mailbox', async () => {
        const box = await store.vmboxes.create(a.id, { mailbox: '3000', name: 'sales' });
        assert.equal((await store.vmboxes.findByMailbox(a.id, '3000'))?.id, box.id);
        assert.equal(await store.vmboxes.findByMailbox(b.id, '3000'), undefined);
        await assert.rejects(store.vmboxes.create(a.id, { mailbox: '3000' }), conflict('mailbox'));
        assert.equal((await store.vmboxes.create(b.id, { mailbox: '3000' })).mailbox, '3000');
      });

      it('media: keeps its fields', async () => {
        const m = await store.media.create(a.id, {
          name: 'greeting',
          media_source: 'upload',
          content_type: 'audio/wav',
          path: 'media/greeting.wav',
        });
        const got = await store.media.get(a.id, m.id);
        assert.equal(got?.media_source, 'upload');
        assert.equal(got?.content_type, 'audio/wav');
        assert.equal(got?.path, 'media/greeting.wav');
      });
    });

    describe('callflows', () => {
      it('numbers are unique within an account and allowed across accounts', async () => {
        const cf = await store.callflows.create(a.id, { name: 'main', numbers: ['+15551230000', '100'] });
        await assert.rejects(store.callflows.create(a.id, { numbers: ['200', '100'] }), conflict('numbers'));
        // The failed create left nothing behind.
        assert.equal(await store.callflows.findByNumber(a.id, '200'), undefined);
        assert.equal((await store.callflows.list(a.id)).items.length, 1);

        const other = await store.callflows.create(b.id, { numbers: ['100'] });
        assert.equal((await store.callflows.findByNumber(a.id, '100'))?.id, cf.id);
        assert.equal((await store.callflows.findByNumber(b.id, '100'))?.id, other.id);
        assert.equal((await store.callflows.findByNumber(a.id, '+15551230000'))?.name, 'main');
        assert.equal(await store.callflows.findByNumber(b.id, '+15551230000'), undefined);
        // A number repeated inside one callflow does not clash with itself.
        const dup = await store.callflows.create(a.id, { numbers: ['300', '300'] });
        assert.equal((await store.callflows.findByNumber(a.id, '300'))?.id, dup.id);
      });

      it('keeps the number index right on update, replace and delete', async () => {
        const cf = await store.callflows.create(a.id, { numbers: ['100', '101'] });
        const other = await store.callflows.create(a.id, { numbers: ['200'] });

        await store.callflows.update(a.id, cf.id, { numbers: ['101', '102'] });
        assert.equal(await store.callflows.findByNumber(a.id, '100'), undefined);
        assert.equal((await store.callflows.findByNumber(a.id, '101'))?.id, cf.id);
        assert.equal((await store.callflows.findByNumber(a.id, '102'))?.id, cf.id);

        await assert.rejects(store.callflows.update(a.id, other.id, { numbers: ['200', '102'] }), conflict('numbers'));
        // The rejected update rolled back: the doc and the index are as before.
        assert.deepEqual((await store.callflows.get(a.id, other.id))?.numbers, ['200']);
        assert.equal((await store.callflows.findByNumber(a.id, '200'))?.id, other.id);
        assert.equal((await store.callflows.findByNumber(a.id, '102'))?.id, cf.id);

        await store.callflows.replace(a.id, cf.id, { numbers: ['500'] });
        assert.equal(await store.callflows.findByNumber(a.id, '101'), undefined);
        assert.equal((await store.callflows.findByNumber(a.id, '500'))?.id, cf.id);

        await store.callflows.delete(a.id, cf.id);
        assert.equal(await store.callflows.findByNumber(a.id, '500'), undefined);
        assert.equal((await store.callflows.create(a.id, { numbers: ['500'] })).numbers?.[0], '500');
      });

      it('lists callflows with patterns', async () => {
        const p1 = await store.callflows.create(a.id, { patterns: ['^\\+1(\\d{10})$'] });
        await store.callflows.create(a.id, { numbers: ['100'], patterns: [] });
        const p2 = await store.callflows.create(a.id, { numbers: ['101'], patterns: ['^2\\d\\d$'] });
        await store.callflows.create(b.id, { patterns: ['^9'] });
        assert.deepEqual(
          (await store.callflows.listWithPatterns(a.id)).map((c) => c.id),
          [p1.id, p2.id],
        );
        await store.callflows.update(a.id, p1.id, { patterns: null });
        assert.deepEqual(
          (await store.callflows.listWithPatterns(a.id)).map((c) => c.id),
          [p2.id],
        );
      });
    });

    describe('listing', () => {
      const T = Date.UTC(2024, 4, 1);

      async function seed(): Promise<string[]> {
        const ids: string[] = [];
        // m1 and m2 share a timestamp: ties are broken by id, which follows creation order.
        const times = [T, T + 1000, T + 1000, T + 2000, T + 3000, T + 4000];
        for (const [i, created] of times.entries()) {
          const doc = await store.menus.create(a.id, { name: `m${i}`, created, tag: i % 2 ? 'odd' : 'even' });
          assert.equal(doc.created, created);
          ids.push(doc.id);
        }
        await store.menus.create(b.id, { name: 'b', created: T + 1000 });
        return ids;
      }

      it('orders by created then id', async () => {
        const ids = await seed();
        const all = (await store.menus.list(a.id)).items;
        assert.deepEqual(
          all.map((d) => d.name),
          ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'],
        );
        assert.deepEqual(
          all.map((d) => d.id),
          ids,
        );
        assert.ok(all[1].id < all[2].id);
      });

      it('paginates with startKey', async () => {
        const ids = await seed();
        const seen: string[] = [];
        let startKey: string | undefined;
        let pages = 0;
        do {
          const page = await store.menus.list(a.id, { limit: 4, startKey });
          assert.ok(page.items.length <= 4);
          seen.push(...page.items.map((d) => d.id));
          startKey = page.nextStartKey;
          pages++;
        } while (startKey);
        assert.equal(pages, 2);
        assert.deepEqual(seen, ids);

        // Pages of 1 walk through ties one by one.
        const p1 = await store.menus.list(a.id, {
          limit: 1,
          startKey: (await store.menus.list(a.id, { limit: 1 })).nextStartKey,
        });
        assert.deepEqual(
          p1.items.map((d) => d.id),
          [ids[1]],
        );
        const p2 = await store.menus.list(a.id, { limit: 1, startKey: p1.nextStartKey });
        assert.deepEqual(
          p2.items.map((d) => d.id),
          [ids[2]],
        );

        // An exact-size last page has no next key.
        const exact = await store.menus.list(a.id, { limit: 6 });
        assert.equal(exact.items.length, 6);
        assert.equal(exact.nextStartKey, undefined);

        await assert.rejects(store.menus.list(a.id, { startKey: 'garbage' }), ValidationError);
        await assert.rejects(store.menus.list(a.id, { limit: 0 }), ValidationError);
      });

      it('filters by created range (inclusive) and by field', async () => {
        const ids = await seed();
        const range = await store.menus.list(a.id, { createdFrom: T + 1000, createdTo: T + 3000 });
        assert.deepEqual(
          range.items.map((d) => d.id),
          ids.slice(1, 5),
        );
        const from = await store.menus.list(a.id, { createdFrom: T + 3500 });
        assert.deepEqual(
          from.items.map((d) => d.name),
          ['m5'],
        );
        const to = await store.menus.list(a.id, { createdTo: T });
        assert.deepEqual(
          to.items.map((d) => d.name),
          ['m0'],
        );

        const odd = await store.menus.list(a.id, { filter: { tag: 'odd' } });
        assert.deepEqual(odd.items.map((d) => d.name).sort(), ['m1', 'm3', 'm5']);
        const oddPage = await store.menus.list(a.id, { filter: { tag: 'odd' }, limit: 2 });
        assert.equal(oddPage.items.length, 2);
        assert.ok(oddPage.nextStartKey);
        const rest = await store.menus.list(a.id, { filter: { tag: 'odd' }, limit: 2, startKey: oddPage.nextStartKey });
        assert.deepEqual(
          [...oddPage.items, ...rest.items].map((d) => d.id),
          odd.items.map((d) => d.id),
        );
        assert.equal(rest.nextStartKey, undefined);

        await store.devices.create(a.id, { name: 'x', sip: { username: 'nested' } });
        await store.devices.create(a.id, { name: 'y', sip: { username: 'other' } });
        const nested = await store.devices.list(a.id, { filter: { 'sip.username': 'nested' } });
        assert.deepEqual(
          nested.items.map((d) => d.name),
          ['x'],
        );
        await store.callflows.create(a.id, { name: 'arr', numbers: ['700', '701'] });
        const member = await store.callflows.list(a.id, { filter: { numbers: '701' } });
        assert.deepEqual(
          member.items.map((d) => d.name),
          ['arr'],
        );
      });
    });

    describe('phone numbers', () => {
      it('assigns, reads, lists and releases', async () => {
        const n = await store.phoneNumbers.assign(a.id, '+15550000002', { cnam: { display_name: 'ACME' } });
        assert.equal(n.number, '+15550000002');
        assert.equal(n.account_id, a.id);
        assert.equal(n.state, 'in_service');
        assert.deepEqual(n.cnam, { display_name: 'ACME' });
        const reserved = await store.phoneNumbers.assign(a.id, '+15550000001', { state: 'reserved' });

        assert.deepEqual(await store.phoneNumbers.get('+15550000002'), n);
        assert.deepEqual(await store.phoneNumbers.getForAccount(a.id, '+15550000002'), n);
        assert.equal(await store.phoneNumbers.getForAccount(b.id, '+15550000002'), undefined);
        assert.deepEqual(
          (await store.phoneNumbers.list(a.id)).map((x) => [x.number, x.state]),
          [
            ['+15550000001', 'reserved'],
            ['+15550000002', 'in_service'],
          ],
        );
        assert.deepEqual(await store.phoneNumbers.list(b.id), []);

        // Re-assigning to the owner merges.
        const again = await store.phoneNumbers.assign(a.id, '+15550000001', { state: 'in_service', e911: {} });
        assert.equal(again.state, 'in_service');
        assert.deepEqual(again.e911, {});
        assert.ok(again.modified > reserved.modified);
        assert.equal(again.created, reserved.created);

        await store.phoneNumbers.release(a.id, '+15550000002');
        assert.equal(await store.phoneNumbers.get('+15550000002'), undefined);
        await assert.rejects(store.phoneNumbers.release(a.id, '+15550000002'), notFound);
      });

      it('are unique across accounts', async () => {
        await store.phoneNumbers.assign(a.id, '+15550000003');
        await assert.rejects(store.phoneNumbers.assign(b.id, '+15550000003'), conflict('number'));
        await assert.rejects(store.phoneNumbers.release(b.id, '+15550000003'), notFound);
        assert.equal((await store.phoneNumbers.get('+15550000003'))?.account_id, a.id);
        await store.phoneNumbers.release(a.id, '+15550000003');
        assert.equal((await store.phoneNumbers.assign(b.id, '+15550000003')).account_id, b.id);
      });

      it('validates state and account', async () => {
        await assert.rejects(
          store.phoneNumbers.assign(a.id, '+15550000004', { state: 'porting' as never }),
          ValidationError,
        );
        await assert.rejects(store.phoneNumbers.assign('0'.repeat(32), '+15550000004'), notFound);
        assert.equal(await store.phoneNumbers.get('+15550000004'), undefined);
      });
    });

    describe('pivot debug', () => {
      const JAN = Date.UTC(2024, 0, 31, 23, 59, 0);
      const FEB = Date.UTC(2024, 1, 10, 12, 0, 0);

      async function seed(): Promise<void> {
        const d = store.pivotDebug;
        // call-1: two iterations, the second answered with broken JSON; crosses a month boundary.
        await d.add(a.id, {
          call_id: 'call-1',
          iteration: 1,
          kind: 'request',
          created: JAN,
          uri: 'http://app/voice',
          method: 'post',
          req_body: 'From=100',
        });
        await d.add(a.id, {
          call_id: 'call-1',
          iteration: 1,
          kind: 'response',
          created: JAN + 120,
          resp_status_code: 200,
          resp_body: '<Response/>',
          duration_ms: 120,
        });
        await d.add(a.id, {
          call_id: 'call-1',
          iteration: 2,
          kind: 'request',
          created: JAN + 5000,
          uri: 'http://app/gather',
        });
        await d.add(a.id, {
          call_id: 'call-1',
          iteration: 2,
          kind: 'response',
          created: JAN + 5080,
          resp_status_code: 500,
          duration_ms: 80,
        });
        await d.add(a.id, {
          call_id: 'call-1',
          iteration: 2,
          kind: 'error',
          created: Date.UTC(2024, 1, 1, 0, 0, 1),
          json_errors: { message: 'invalid JSON' },
          error: { message: 'Unexpected token', line: 1, column: 2, type: 'json', code: 12100 },
        });
        // call-2: schema error, one iteration, same millisecond for request and response.
        await d.add(a.id, { call_id: 'call-2', iteration: 1, kind: 'request', created: FEB, uri: 'http://app/two' });
        await d.add(a.id, {
          call_id: 'call-2',
          iteration: 1,
          kind: 'response',
          created: FEB,
          resp_status_code: 200,
          duration_ms: 7,
        });
        await d.add(a.id, {
          call_id: 'call-2',
          iteration: 1,
          kind: 'error',
          created: FEB,
          schema_errors: { flow: {} },
          error: { message: 'bad', type: 'schema' },
        });
        // call-3: no errors; a CDR post does not change the URI.
        await d.add(a.id, {
          call_id: 'call-3',
          iteration: 1,
          kind: 'request',
          created: FEB + 1000,
          uri: 'http://app/three',
          node: 'pivot@n1',
        });
        await d.add(a.id, {
          call_id: 'call-3',
          iteration: 1,
          kind: 'response',
          created: FEB + 1010,
          resp_status_code: 204,
          duration_ms: 10,
        });
        await d.add(a.id, {
          call_id: 'call-3',
          iteration: 1,
          kind: 'cdr_request',
          created: FEB + 2000,
          uri: 'http://app/cdr',
        });
        // Another account's call with the same id.
        await d.add(b.id, { call_id: 'call-3', iteration: 1, kind: 'request', created: FEB + 3000, uri: 'http://b/' });
      }

      it('summarises one entry per call, newest first', async () => {
        await seed();
        const { items, nextStartKey } = await store.pivotDebug.listCalls(a.id);
        assert.equal(nextStartKey, undefined);
        assert.deepEqual(
          items.map((c) => c.call_id),
          ['call-3', 'call-2', 'call-1'],
        );
        const [c3, c2, c1] = items;
        assert.deepEqual(c1, {
          call_id: 'call-1',
          created: JAN,
          debug_id: '202401-call-1',
          uri: 'http://app/voice',
          status_code: 200,
          iteration: 1,
          iterations: 2,
          duration_ms: 200,
          has_schema_errors: false,
          has_json_errors: true,
          has_errors: true,
          last_created: Date.UTC(2024, 1, 1, 0, 0, 1),
          last_status_code: 500,
          error_code: 12100,
          error_type: 'json',
          error_message: 'Unexpected token',
          has_warnings: false,
          result: 'invalid_json',
        });
        assert.equal(c2.debug_id, '202402-call-2');
        assert.equal(c2.has_schema_errors, true);
        assert.equal(c2.has_json_errors, false);
        assert.equal(c2.iterations, 1);
        assert.equal(c2.duration_ms, 7);
        assert.equal(c3.uri, 'http://app/three');
        assert.equal(c3.status_code, 204);
        assert.equal(c3.node, 'pivot@n1');
        assert.equal(c3.has_errors, false);
        assert.equal(c3.has_schema_errors, false);
        assert.equal(c3.result, 'ok');
        assert.equal(c3.last_status_code, 204, 'a CDR post is not a webhook response');
        assert.equal(c2.result, 'schema_error');
        assert.equal(c2.error_type, 'schema');
        assert.equal(c2.error_code, undefined);

        // The live event hub's fold gives the same lines.
        for (const line of items) {
          const folded = (await store.pivotDebug.forCall(a.id, line.call_id)).reduce<PivotCallSummary | undefined>(
            (s, r) => foldRecord(s, r),
            undefined,
          );
          assert.deepEqual(folded, line, line.call_id);
        }

        const bCalls = await store.pivotDebug.listCalls(b.id);
        assert.deepEqual(
          bCalls.items.map((c) => [c.call_id, c.uri]),
          [['call-3', 'http://b/']],
        );
      });

      it('keeps who called whom, the action, the last status and the first stopping error', async () => {
        const d = store.pivotDebug;
        const at = FEB + 10_000;
        const rec = (r: Partial<PivotDebugInput> & Pick<PivotDebugInput, 'iteration' | 'kind'>, call = 'call-x') =>
          d.add(a.id, { ...r, call_id: call });
        await rec({
          iteration: 1,
          kind: 'request',
          created: at,
          uri: 'http://app/voice',
          from_number: '+14155550100',
          to_number: '2000',
          callflow_id: 'cf1',
          callflow_name: 'Sales IVR',
        });
        await rec({ iteration: 1, kind: 'response', created: at + 1, resp_status_code: 200, duration_ms: 30 });
        // A warning and a failed status callback do not make the call a failure.
        await rec({ iteration: 1, kind: 'error', created: at + 2, error: { message: 'slow', type: 'warning' } });
        await rec({ iteration: 1, kind: 'error', created: at + 3, error: { message: 'cb', type: 'callback' } });
        // A later session's context does not replace the first one's.
        await rec({ iteration: 2, kind: 'request', created: at + 4, from_number: 'someone', callflow_name: 'Other' });
        await rec({ iteration: 2, kind: 'response', created: at + 5, resp_status_code: 200, duration_ms: 20 });
        let [line] = (await d.listCalls(a.id, { createdFrom: at })).items;
        assert.equal(line.from_number, '+14155550100');
        assert.equal(line.to_number, '2000');
        assert.equal(line.callflow_id, 'cf1');
        assert.equal(line.callflow_name, 'Sales IVR');
        assert.equal(line.has_warnings, true);
        assert.equal(line.has_errors, true);
        assert.equal(line.result, 'warning');
        assert.equal(line.error_type, undefined);
        assert.equal(line.duration_ms, 50);
        assert.equal(line.last_created, at + 5);

        // The first stopping error names the result; a later one does not replace it.
        await rec({ iteration: 3, kind: 'request', created: at + 6 });
        await rec({ iteration: 3, kind: 'response', created: at + 7, resp_status_code: 502, duration_ms: 9 });
        await rec({
          iteration: 3,
          kind: 'error',
          created: at + 8,
          error: { code: 11200, message: 'HTTP 502 from http://app/voice', type: 'http' },
        });
        await rec({
          iteration: 4,
          kind: 'error',
          created: at + 9,
          error: { code: '12100', message: 'x', type: 'xml' },
        });
        [line] = (await d.listCalls(a.id, { createdFrom: at })).items;
        assert.equal(line.status_code, 200, 'KAZOO: the first response');
        assert.equal(line.last_status_code, 502);
        assert.equal(line.error_code, 11200);
        assert.equal(line.error_type, 'http');
        assert.equal(line.error_message, 'HTTP 502 from http://app/voice');
        assert.equal(line.result, 'http_error');
        assert.equal(line.iterations, 4);
        const folded = (await d.forCall(a.id, 'call-x')).reduce<PivotCallSummary | undefined>(foldRecord, undefined);
        assert.deepEqual(folded, line, 'the live event hub folds the same line');

        for (const [type, result] of [
          ['timeout', 'timeout'],
          ['xml', 'invalid_xml'],
          ['json', 'invalid_json'],
          ['schema', 'schema_error'],
          ['twiml', 'schema_error'],
          ['runtime', 'runtime_error'],
          ['policy', 'http_error'],
          ['dns', 'http_error'],
        ] as const) {
          await rec({ iteration: 1, kind: 'error', created: at + 100, error: { message: type, type } }, `r-${type}`);
          const found = (await d.listCalls(a.id, { createdFrom: at + 100 })).items.find(
            (c) => c.call_id === `r-${type}`,
          );
          assert.equal(found?.result, result, type);
        }
      });

      it('paginates and filters the call list by created', async () => {
        await seed();
        const p1 = await store.pivotDebug.listCalls(a.id, { limit: 2 });
        assert.deepEqual(
          p1.items.map((c) => c.call_id),
          ['call-3', 'call-2'],
        );
        assert.ok(p1.nextStartKey);
        const p2 = await store.pivotDebug.listCalls(a.id, { limit: 2, startKey: p1.nextStartKey });
        assert.deepEqual(
          p2.items.map((c) => c.call_id),
          ['call-1'],
        );
        assert.equal(p2.nextStartKey, undefined);

        const feb = await store.pivotDebug.listCalls(a.id, { createdFrom: Date.UTC(2024, 1, 1) });
        assert.deepEqual(
          feb.items.map((c) => c.call_id),
          ['call-3', 'call-2'],
        );
        const upTo = await store.pivotDebug.listCalls(a.id, { createdTo: FEB });
        assert.deepEqual(
          upTo.items.map((c) => c.call_id),
          ['call-2', 'call-1'],
        );
      });

      it('returns every record of a call oldest first, by call id or debug id', async () => {
        await seed();
        const records = await store.pivotDebug.forCall(a.id, 'call-1');
        assert.deepEqual(
          records.map((r) => [r.iteration, r.kind]),
          [
            [1, 'request'],
            [1, 'response'],
            [2, 'request'],
            [2, 'response'],
            [2, 'error'],
          ],
        );
        assert.equal(records[0].uri, 'http://app/voice');
        assert.equal(records[0].method, 'post');
        assert.equal(records[0].req_body, 'From=100');
        assert.equal(records[0].account_id, a.id);
        assert.equal(records[0].created, JAN);
        assert.match(records[0].id, HEX32);
        assert.deepEqual(records[4].error, {
          message: 'Unexpected token',
          line: 1,
          column: 2,
          type: 'json',
          code: 12100,
        });

        // Same millisecond: the order written.
        assert.deepEqual(
          (await store.pivotDebug.forCall(a.id, 'call-2')).map((r) => r.kind),
          ['request', 'response', 'error'],
        );

        // The debug id form reads the whole call, even records from the following month.
        assert.deepEqual(await store.pivotDebug.forCall(a.id, '202401-call-1'), records);
        assert.deepEqual(await store.pivotDebug.forCall(a.id, '202402-call-1'), []);
        assert.deepEqual(await store.pivotDebug.forCall(a.id, 'nope'), []);
        // Tenant isolation.
        assert.deepEqual(await store.pivotDebug.forCall(b.id, 'call-1'), []);
        assert.deepEqual(
          (await store.pivotDebug.forCall(b.id, 'call-3')).map((r) => r.uri),
          ['http://b/'],
        );
      });

      it('accepts call ids that look like debug ids', async () => {
        await store.pivotDebug.add(a.id, { call_id: '202401-abc', iteration: 1, kind: 'request', created: FEB });
        assert.equal((await store.pivotDebug.forCall(a.id, '202401-abc')).length, 1);
        assert.equal((await store.pivotDebug.forCall(a.id, '202402-202401-abc')).length, 1);
      });

      it('purges whole calls older than a cutoff', async () => {
        await seed();
        // call-1 ends 2024-02-01: a cutoff just before that keeps the whole call.
        assert.equal(await store.pivotDebug.purgeOlderThan(Date.UTC(2024, 1, 1)), 0);
        assert.equal((await store.pivotDebug.forCall(a.id, 'call-1')).length, 5);

        const removed = await store.pivotDebug.purgeOlderThan(FEB);
        assert.equal(removed, 5);
        assert.deepEqual(await store.pivotDebug.forCall(a.id, 'call-1'), []);
        assert.deepEqual(
          (await store.pivotDebug.listCalls(a.id)).items.map((c) => c.call_id),
          ['call-3', 'call-2'],
        );
        assert.equal(await store.pivotDebug.purgeOlderThan(FEB + 5000), 7);
        assert.deepEqual((await store.pivotDebug.listCalls(a.id)).items, []);
        assert.deepEqual((await store.pivotDebug.listCalls(b.id)).items, []);
      });

      it('validates records', async () => {
        await assert.rejects(
          store.pivotDebug.add(a.id, { call_id: '', iteration: 1, kind: 'request' }),
          ValidationError,
        );
        await assert.rejects(
          store.pivotDebug.add(a.id, { call_id: 'x', iteration: 1, kind: 'bogus' as never }),
          ValidationError,
        );
        await assert.rejects(
          store.pivotDebug.add('0'.repeat(32), { call_id: 'x', iteration: 1, kind: 'request' }),
          notFound,
        );
        assert.deepEqual((await store.pivotDebug.listCalls(a.id)).items, []);
      });
    });

    describe('cdrs', () => {
      it('adds, gets, lists and finds by call', async () => {
        const c1 = await store.cdrs.add(a.id, { call_id: 'k1', duration_seconds: 12, hangup_cause: 'NORMAL_CLEARING' });
        const c2 = await store.cdrs.add(a.id, { call_id: 'k1', direction: 'outbound' });
        const c3 = await store.cdrs.add(a.id, { call_id: 'k2' });
        assert.match(c1.id, HEX32);
        assert.deepEqual(await store.cdrs.get(a.id, c1.id), c1);
        assert.equal((await store.cdrs.get(a.id, c1.id))?.hangup_cause, 'NORMAL_CLEARING');
        assert.equal(await store.cdrs.get(b.id, c1.id), undefined);
        assert.deepEqual(
          (await store.cdrs.forCall(a.id, 'k1')).map((c) => c.id),
          [c1.id, c2.id],
        );
        assert.deepEqual(await store.cdrs.forCall(b.id, 'k1'), []);
        const page = await store.cdrs.list(a.id, { limit: 2 });
        assert.deepEqual(
          page.items.map((c) => c.id),
          [c1.id, c2.id],
        );
        const rest = await store.cdrs.list(a.id, { limit: 2, startKey: page.nextStartKey });
        assert.deepEqual(
          rest.items.map((c) => c.id),
          [c3.id],
        );
        assert.deepEqual((await store.cdrs.list(b.id)).items, []);
        await assert.rejects(store.cdrs.add(a.id, { call_id: '' }), ValidationError);
      });

      it('CDRs added at once are all written, except one the store refuses, which fails alone', async () => {
        const results = await Promise.allSettled([
          store.cdrs.add(a.id, { call_id: 'm1', billing_seconds: 3 }),
          store.cdrs.add(b.id, { call_id: 'm1' }),
          store.cdrs.add(a.id, { call_id: '' }),
          store.cdrs.add('f'.repeat(32), { call_id: 'm2' }),
          store.cdrs.add(a.id, { call_id: 'm3' }),
        ]);
        assert.deepEqual(
          results.map((r) => r.status),
          ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled'],
        );
        assert.ok((results[2] as PromiseRejectedResult).reason instanceof ValidationError);
        assert.ok((results[3] as PromiseRejectedResult).reason instanceof NotFoundError);
        assert.deepEqual(
          (await store.cdrs.forCall(a.id, 'm1')).map((c) => [c.call_id, c.account_id, c.billing_seconds]),
          [['m1', a.id, 3]],
        );
        assert.equal((await store.cdrs.forCall(b.id, 'm1')).length, 1);
        assert.equal((await store.cdrs.forCall(a.id, 'm3')).length, 1);
      });
    });

    describe('recordings', () => {
      it('adds, gets, lists and deletes', async () => {
        const r = await store.recordings.add(a.id, {
          call_id: 'rc1',
          path: 'recordings/rc1.wav',
          content_type: 'audio/wav',
          duration_ms: 4200,
          size_bytes: 67244,
        });
        assert.deepEqual(await store.recordings.get(a.id, r.id), r);
        assert.equal(r.duration_ms, 4200);
        assert.equal(r.size_bytes, 67244);
        assert.equal(await store.recordings.get(b.id, r.id), undefined);
        assert.deepEqual(
          (await store.recordings.list(a.id, { filter: { call_id: 'rc1' } })).items.map((x) => x.path),
          ['recordings/rc1.wav'],
        );
        await assert.rejects(store.recordings.delete(b.id, r.id), notFound);
        await store.recordings.delete(a.id, r.id);
        assert.equal(await store.recordings.get(a.id, r.id), undefined);
        assert.deepEqual((await store.recordings.list(a.id)).items, []);
      });
    });

    describe('voicemail messages', () => {
      it('adds, lists by folder, moves and deletes', async () => {
        const box = await store.vmboxes.create(a.id, { mailbox: '100' });
        const other = await store.vmboxes.create(a.id, { mailbox: '101' });
        const m1 = await store.voicemailMessages.add(a.id, {
          vmbox_id: box.id,
          caller_id_number: '+15551112222',
          caller_id_name: 'Carol',
          duration_ms: 3000,
          media_id: 'm1',
          created: 1000,
        });
        const m2 = await store.voicemailMessages.add(a.id, {
          vmbox_id: box.id,
          folder: 'saved',
          path: 'vm/2.wav',
          created: 2000,
        });
        await store.voicemailMessages.add(a.id, { vmbox_id: other.id, created: 3000 });
        assert.equal(m1.folder, 'new');
        assert.equal(m1.caller_id_name, 'Carol');

        assert.deepEqual(
          (await store.voicemailMessages.listForBox(a.id, box.id)).map((m) => m.id),
          [m1.id, m2.id],
        );
        assert.deepEqual(
          (await store.voicemailMessages.listForBox(a.id, box.id, 'new')).map((m) => m.id),
          [m1.id],
        );
        assert.deepEqual(await store.voicemailMessages.listForBox(b.id, box.id), []);

        const moved = await store.voicemailMessages.setFolder(a.id, m1.id, 'saved');
        assert.equal(moved.folder, 'saved');
        assert.deepEqual(await store.voicemailMessages.listForBox(a.id, box.id, 'new'), []);
        assert.deepEqual(
          (await store.voicemailMessages.listForBox(a.id, box.id, 'saved')).map((m) => m.id),
          [m1.id, m2.id],
        );
        await assert.rejects(store.voicemailMessages.setFolder(a.id, m1.id, 'trash' as never), ValidationError);
        await assert.rejects(store.voicemailMessages.setFolder(b.id, m1.id, 'deleted'), notFound);

        await store.voicemailMessages.delete(a.id, m2.id);
        assert.equal(await store.voicemailMessages.get(a.id, m2.id), undefined);
        await assert.rejects(store.voicemailMessages.delete(b.id, m1.id), notFound);

        // Deleting the box takes its messages with it.
        await store.vmboxes.delete(a.id, box.id);
        assert.equal(await store.voicemailMessages.get(a.id, m1.id), undefined);
      });

      it('refuses a vmbox from another account', async () => {
        const box = await store.vmboxes.create(a.id, { mailbox: '100' });
        await assert.rejects(store.voicemailMessages.add(b.id, { vmbox_id: box.id }), notFound);
        assert.deepEqual(await store.voicemailMessages.listForBox(a.id, box.id), []);
      });
    });
  });
}
