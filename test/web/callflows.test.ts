// The callflow editor in Chromium against a started Pivot: the list and its empty state; a flow built by dragging a
// TTS block onto the start and a Pivot block under it, with their dialogs; saving refused without a number, then
// stored exactly as Kazoo callflow JSON; editing and disabling a block; Save and Duplicate (a new unsaved copy that
// needs its own number: the number of the original is refused by the server, an extension is not); Save and Create;
// Cancel with its confirmation; a menu's keyed branches through the key dialog with a menu picked from the API; a
// flow built from the keyboard only; a subtree moved by drag; the list's search and delete. The tree operations
// themselves (web/src/callflow/tree.ts) are checked directly first.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { webRig, type WebRig } from '../helpers/browser.js';
import {
  ROOT,
  addChild,
  moveNode,
  newNode,
  parseFlow,
  errorsByNode,
  removeNode,
  serializeFlow,
  validTargets,
  type ChildPolicy,
} from '../../web/src/callflow/tree.js';

describe('the tree model', () => {
  const policy = (m: string): ChildPolicy => (m === 'menu' ? 'keyed' : m === 'hangup' ? 'none' : 'one');
  const json = {
    module: 'menu',
    data: { id: 'm1' },
    children: {
      '1': { module: 'tts', data: { text: 'one' }, children: { _: { module: 'hangup', data: {}, children: {} } } },
      '2': { module: 'tts', data: { text: 'two' }, children: {} },
    },
  };

  test('parse and serialize are inverse on Kazoo JSON', () => {
    assert.deepEqual(serializeFlow(parseFlow(json)!), json);
    assert.equal(parseFlow({}), undefined);
  });

  test('valid targets: room by policy, never inside the moved subtree', () => {
    const tree = parseFlow(json)!;
    const [one, two] = tree.children.map((c) => c.node);
    const hang = one.children[0].node;
    const forAction = validTargets(tree, { kind: 'action' }, policy);
    assert.deepEqual([...forAction].sort(), [tree.id, two.id].sort(), 'the menu (keyed) and the leaf tts');
    assert.ok(!forAction.has(ROOT) && !forAction.has(one.id) && !forAction.has(hang.id));
    const forMenu = validTargets(tree, { kind: 'node', id: tree.id }, policy);
    assert.equal(forMenu.size, 0, 'a block cannot move into its own subtree');
    assert.deepEqual([...validTargets(tree, { kind: 'node', id: hang.id }, policy)].sort(), [tree.id, two.id].sort());
  });

  test('add, move with cycle check, remove', () => {
    let tree = parseFlow(json)!;
    const [one, two] = tree.children.map((c) => c.node);
    const hang = one.children[0].node;
    tree = moveNode(tree, hang.id, two.id, '_', policy);
    assert.deepEqual(serializeFlow(tree).children['2'].children._.module, 'hangup');
    assert.deepEqual(serializeFlow(tree).children['1'].children, {});
    assert.throws(() => moveNode(tree, tree.id, two.id, '_', policy), /under itself/);
    assert.throws(() => addChild(tree, two.id, '_', newNode('tts'), policy), /no room/);
    assert.throws(() => addChild(tree, tree.id, '1', newNode('tts'), policy), /already has/);
    tree = addChild(tree, tree.id, '0', newNode('sleep', { duration: 1 }), policy);
    assert.deepEqual(Object.keys(serializeFlow(tree).children).sort(), ['0', '1', '2']);
    assert.equal(serializeFlow(removeNode(tree, two.id)!).children['2'], undefined);
    assert.equal(removeNode(tree, tree.id), undefined);
    assert.equal(addChild(undefined, ROOT, '_', newNode('tts'), policy).module, 'tts');
  });

  test("the server's errors on flow paths go to their blocks and fields", () => {
    const tree = parseFlow(json)!;
    const one = tree.children[0].node;
    const errors = errorsByNode(tree, {
      'flow.children.1.data.text': ['must NOT have fewer than 1 characters'],
      'flow.module': ['unknown module'],
      numbers: ['already used'],
    });
    assert.deepEqual(errors.get(one.id), { text: 'must NOT have fewer than 1 characters' });
    assert.deepEqual(errors.get(tree.id), { module: 'unknown module' });
    assert.equal(errors.size, 2);
  });
});

describe('the callflow editor in Chromium', () => {
  let rig: WebRig;
  let token: string;
  let accountId: string;
  let menuId: string;
  const NUMBER = '+14155550100';

  const api = (method: string, path: string, data?: unknown) => rig.api.call(method, path, { token, data });
  const callflows = async (): Promise<any[]> => (await api('GET', `/v2/accounts/${accountId}/callflows`)).body.data;
  const byName = async (name: string) => {
    const found = (await callflows()).find((c) => c.name === name);
    assert.ok(found, `callflow "${name}" is stored`);
    return found;
  };

  const flow = (page: Page) => page.getByRole('region', { name: 'Flow' });
  const catalog = (page: Page) => page.getByRole('complementary', { name: 'Actions' });
  const block = (page: Page, name: string | RegExp) =>
    flow(page).getByRole('button', {
      name: typeof name === 'string' ? new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) : name,
    });
  const action = (page: Page, name: string) => catalog(page).getByRole('button', { name, exact: true });
  const dialog = (page: Page, name: string) => page.getByRole('dialog', { name });

  /** HTML5 drag and drop: Playwright drives Chromium's native drag from `source` to `target`. */
  async function drag(source: Locator, target: Locator) {
    await source.dragTo(target);
  }

  /** Waits (bounded) until the focused element's accessible label matches. */
  async function focusIs(page: Page, label: RegExp) {
    await page.waitForFunction(
      (src) => new RegExp(src).test(document.activeElement?.getAttribute('aria-label') ?? ''),
      label.source,
      { timeout: 5000 },
    );
  }

  async function saveWith(page: Page, item: string) {
    await page.getByRole('button', { name: /^Save/ }).first().click();
    await page.getByRole('menuitem', { name: item }).click();
  }

  before(async () => {
    rig = await webRig({ min: 42200, max: 42299 });
    token = await rig.api.login('admin', 'admin', rig.api.adminPassword);
    accountId = rig.api.masterId;
    for (const n of [NUMBER, '+14155550101']) {
      const added = await api('PUT', `/v2/accounts/${accountId}/phone_numbers/${encodeURIComponent(n)}`);
      assert.equal(added.status, 201, JSON.stringify(added.body));
    }
    const menu = await api('PUT', `/v2/accounts/${accountId}/menus`, { name: 'Main menu', retries: 3 });
    assert.equal(menu.status, 201, JSON.stringify(menu.body));
    menuId = menu.body.data.id;
    await rig.signIn();
  });

  after(async () => {
    await rig?.stop();
  });

  test('the list starts empty and says what to do; Add callflow opens an empty editor', async () => {
    const { page } = rig;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Callflows' }).click();
    await page.getByRole('heading', { name: 'No callflows yet' }).waitFor();
    await page.getByRole('button', { name: '+ Add callflow' }).first().click();
    await page.waitForURL('**/callflows/new');
    await flow(page).getByText('Drag an action here to start the flow').waitFor();
    assert.equal(await page.getByLabel('Callflow name').inputValue(), '');
  });

  test('build TTS → Pivot by drag and drop, fill their dialogs, save with a number', async () => {
    const { page } = rig;
    await drag(action(page, 'Text to speech'), flow(page).getByText('Drag an action here to start the flow'));
    const tts = dialog(page, 'Add Text to speech');
    await tts.getByLabel('Text *').fill('Welcome to Pivot.');
    await tts.getByRole('button', { name: 'Add block' }).click();
    await tts.waitFor({ state: 'hidden' });
    await block(page, 'Text to speech').waitFor();

    await drag(action(page, 'Pivot'), block(page, 'Text to speech'));
    const pivot = dialog(page, 'Add Pivot');
    await pivot.getByLabel('Voice URL *').fill('https://example.com/voice');
    await pivot.getByLabel('Method').selectOption('post');
    await pivot.getByLabel('Request format').selectOption('twiml');
    // The dialog as it shows on screen (a full-page capture would shift the top layer).
    await page.screenshot({ path: await rig.screenshot('callflow-node-dialog') });
    await pivot.getByRole('button', { name: 'Add block' }).click();
    await pivot.waitFor({ state: 'hidden' });
    // The block shows its name only: no URL, no method.
    const pivotBlock = block(page, 'Pivot');
    assert.equal(await pivotBlock.getAttribute('aria-label'), 'Pivot');
    assert.doesNotMatch(await flow(page).innerText(), /example\.com|POST/);

    await page.getByLabel('Callflow name').fill('Main line');
    await page.getByText('You have unsaved changes').waitFor();

    // No number yet: a clear message, and nothing is sent.
    await saveWith(page, 'Save Changes');
    await page.getByRole('alert').filter({ hasText: 'Add a number or an extension before saving' }).waitFor();
    assert.equal((await callflows()).length, 0);

    await flow(page).getByRole('button', { name: '+ Add number' }).click();
    const numbers = dialog(page, 'Add a number');
    await numbers.getByRole('checkbox', { name: NUMBER }).check();
    await numbers.getByRole('button', { name: 'Add', exact: true }).click();
    await flow(page).getByText(NUMBER).waitFor();

    await saveWith(page, 'Save Changes');
    await page.waitForURL(/\/callflows\/[0-9a-f]{32}$/);
    await page.getByText('You have unsaved changes').waitFor({ state: 'hidden' });
    const stored = await byName('Main line');
    assert.deepEqual(stored.numbers, [NUMBER]);
    assert.deepEqual(stored.flow, {
      module: 'tts',
      data: { text: 'Welcome to Pivot.', voice: 'female', endless_playback: false },
      children: {
        _: {
          module: 'pivot',
          data: {
            voice_url: 'https://example.com/voice',
            method: 'post',
            req_format: 'twiml',
            req_body_format: 'form',
            debug: false,
          },
          children: {},
        },
      },
    });
  });

  test('click a block to edit it, disable another, save', async () => {
    const { page } = rig;
    await block(page, 'Text to speech').click();
    const edit = dialog(page, 'Edit Text to speech');
    assert.equal(await edit.getByLabel('Text *').inputValue(), 'Welcome to Pivot.');
    await edit.getByLabel('Text *').fill('Welcome to the main line.');
    await edit.getByRole('button', { name: 'Apply' }).click();
    await block(page, /^Text to speech: “Welcome to the main line\.”/).waitFor();

    const disable = flow(page).getByRole('button', { name: 'Disable Pivot' });
    await disable.click();
    assert.equal(await disable.getAttribute('aria-pressed'), 'true');
    await block(page, 'Pivot (disabled)').waitFor();
    await page.getByText('You have unsaved changes').waitFor();
    await saveWith(page, 'Save Changes');
    await page.getByText('You have unsaved changes').waitFor({ state: 'hidden' });
    const stored = await byName('Main line');
    assert.equal(stored.flow.data.text, 'Welcome to the main line.');
    assert.equal(stored.flow.children._.data.skip_module, true);

    // Enabled again (the rest of the tests run it).
    await disable.click();
    await saveWith(page, 'Save Changes');
    await page.getByText('You have unsaved changes').waitFor({ state: 'hidden' });
    assert.equal((await byName('Main line')).flow.children._.data.skip_module, undefined);
  });

  test('Save and Duplicate (from the keyboard) opens an unsaved copy that needs its own number', async () => {
    const { page } = rig;
    const original = page.url();
    await page.getByLabel('Callflow name').fill('Main line');
    const save = page.getByRole('button', { name: /^Save/ }).first();
    assert.equal(await save.getAttribute('aria-haspopup'), 'menu');
    await save.focus();
    await page.keyboard.press('ArrowDown');
    await page.getByRole('menuitem', { name: 'Save Changes' }).waitFor();
    assert.equal(await save.getAttribute('aria-expanded'), 'true');
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'hidden' });
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-haspopup') === 'menu', null, {
      timeout: 5000,
    });
    await page.keyboard.press('ArrowDown');
    // The menu moves focus to its first item once open: wait for it before moving on.
    await focusIs(page, /^Save Changes$/);
    await page.keyboard.press('ArrowDown');
    await focusIs(page, /^Save and Duplicate$/);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/callflows\/new\?draft=/);
    assert.equal(await page.getByLabel('Callflow name').inputValue(), 'Main line copy');
    await page.getByText('This is a copy of “Main line”, not saved yet').waitFor();
    await page.getByText('You have unsaved changes').waitFor();
    await block(page, /^Text to speech: “Welcome to the main line\.”/).waitFor();
    await block(page, 'Pivot').waitFor();
    assert.match((await block(page, 'Start').getAttribute('aria-label')) ?? '', /no number yet/);

    // The original's number, typed in: the server refuses it and says who has it.
    await flow(page).getByRole('button', { name: '+ Add number' }).click();
    let numbers = dialog(page, 'Add a number');
    await numbers.getByLabel('Extension').fill(NUMBER);
    await numbers.getByRole('button', { name: 'Add', exact: true }).click();
    await saveWith(page, 'Save Changes');
    const problem = page.getByRole('alert').filter({ hasText: 'The callflow was not saved' });
    await problem.waitFor();
    assert.match(await problem.innerText(), /Numbers: \+14155550100 is already used by callflow "Main line"/);

    // An extension of its own instead.
    await flow(page)
      .getByRole('button', { name: `Remove number ${NUMBER}` })
      .click();
    await flow(page).getByRole('button', { name: '+ Add number' }).click();
    numbers = dialog(page, 'Add a number');
    await numbers.getByLabel('Extension').fill('1001');
    await numbers.getByRole('button', { name: 'Add', exact: true }).click();
    await saveWith(page, 'Save Changes');
    await page.waitForURL(/\/callflows\/[0-9a-f]{32}$/);
    assert.notEqual(page.url(), original);
    const copy = await byName('Main line copy');
    const main = await byName('Main line');
    assert.deepEqual(copy.numbers, ['1001']);
    assert.deepEqual(main.numbers, [NUMBER]);
    assert.deepEqual(copy.flow, main.flow);
  });

  test('Save and Create saves, then opens an empty editor', async () => {
    const { page } = rig;
    await page.getByLabel('Callflow name').fill('Main line copy (renamed)');
    await saveWith(page, 'Save and Create');
    await page.waitForURL(/\/callflows\/new\?draft=/);
    await flow(page).getByText('Drag an action here to start the flow').waitFor();
    assert.equal(await page.getByLabel('Callflow name').inputValue(), '');
    await page.getByText('You have unsaved changes').waitFor({ state: 'hidden' });
    await byName('Main line copy (renamed)');
  });

  test('Cancel asks first when there are changes, then they are gone', async () => {
    const { page } = rig;
    await page.goto('/callflows');
    await page.getByRole('link', { name: 'Main line', exact: true }).click();
    await block(page, 'Pivot').waitFor();
    await page.getByLabel('Callflow name').fill('Something else');
    await flow(page).getByRole('button', { name: 'Remove Pivot' }).click();
    await block(page, 'Pivot').waitFor({ state: 'detached' });
    await page.getByText('You have unsaved changes').waitFor();
    // Leaving by the back link asks first too.
    await page.getByRole('link', { name: '← Callflows' }).click();
    await dialog(page, 'Leave without saving?').getByRole('button', { name: 'Cancel' }).click();
    assert.match(page.url(), /\/callflows\/[0-9a-f]{32}$/);
    // And so does any other link of the app.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Numbers' }).click();
    await dialog(page, 'Leave without saving?').getByRole('button', { name: 'Cancel' }).click();
    assert.match(page.url(), /\/callflows\/[0-9a-f]{32}$/);

    await saveWith(page, 'Cancel');
    const ask = dialog(page, 'Discard your changes?');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.getByLabel('Callflow name').inputValue(), 'Something else', 'kept when not confirmed');

    await saveWith(page, 'Cancel');
    await ask.getByRole('button', { name: 'Discard changes' }).click();
    await ask.waitFor({ state: 'hidden' });
    assert.equal(await page.getByLabel('Callflow name').inputValue(), 'Main line');
    await block(page, 'Pivot').waitFor();
    await page.getByText('You have unsaved changes').waitFor({ state: 'hidden' });
    assert.equal((await byName('Main line')).flow.children._.module, 'pivot');
  });

  test('a menu picked from the API, with keyed branches chosen in the key dialog', async () => {
    const { page } = rig;
    await drag(action(page, 'Menu'), block(page, 'Pivot'));
    const menu = dialog(page, 'Add Menu');
    await menu.getByLabel('Menu').selectOption({ label: 'Main menu' });
    await menu.getByRole('button', { name: 'Add block' }).click();
    await block(page, 'Menu: Main menu').waitFor();

    await drag(action(page, 'Text to speech'), block(page, 'Menu'));
    const key = dialog(page, 'Choose the branch');
    await key.getByRole('textbox', { name: 'Digits pressed' }).fill('1');
    await key.getByRole('button', { name: 'Continue' }).click();
    const tts = dialog(page, 'Add Text to speech');
    await tts.getByLabel('Text *').fill('Sales, please hold.');
    await tts.getByRole('button', { name: 'Add block' }).click();
    await flow(page)
      .getByRole('button', { name: /^Branch “press 1” of Menu/ })
      .waitFor();

    await drag(action(page, 'Hang up'), block(page, 'Menu'));
    await key.getByRole('radio', { name: 'No input' }).check();
    await key.getByRole('button', { name: 'Continue' }).click();
    await flow(page)
      .getByRole('button', { name: /^Branch “no input” of Menu/ })
      .waitFor();

    // A digit already used is not offered twice.
    await drag(action(page, 'Sleep'), block(page, 'Menu'));
    await key.getByRole('textbox', { name: 'Digits pressed' }).fill('1');
    await key.getByRole('button', { name: 'Continue' }).click();
    await key.getByRole('alert').filter({ hasText: 'already has this branch' }).waitFor();
    await key.getByRole('button', { name: 'Cancel' }).click();

    await saveWith(page, 'Save Changes');
    await page.getByText('You have unsaved changes').waitFor({ state: 'hidden' });
    await page.locator('.toast').first().waitFor({ state: 'detached', timeout: 8000 });
    await catalog(page).evaluate((el) => el.scrollTo(0, 0));
    await rig.screenshot('callflow-editor');
    const stored = await byName('Main line');
    const m = stored.flow.children._.children._;
    assert.equal(m.module, 'menu');
    assert.equal(m.data.id, menuId);
    assert.deepEqual(Object.keys(m.children).sort(), ['1', 'timeout']);
    assert.equal(m.children['1'].data.text, 'Sales, please hold.');
    assert.equal(m.children.timeout.module, 'hangup');
  });

  test('from the keyboard only: select a block, press Enter on an action; then move a subtree by drag', async () => {
    const { page } = rig;
    await page.goto('/callflows/new');
    await page.getByLabel('Callflow name').fill('Support');
    // The start block is selected: Enter on an action adds it there.
    await catalog(page).getByText('as the first block of the flow').waitFor();
    await catalog(page).getByRole('searchbox', { name: 'Search actions' }).fill('menu');
    await action(page, 'Menu').focus();
    await page.keyboard.press('Enter');
    const menu = dialog(page, 'Add Menu');
    await menu.getByLabel('Menu').selectOption({ label: 'Main menu' });
    await menu.getByRole('button', { name: 'Add block' }).press('Enter');
    await block(page, 'Menu: Main menu').waitFor();
    await catalog(page).getByText('under “Menu”').waitFor();

    for (const [digit, text] of [
      ['1', 'Press one'],
      ['2', 'Press two'],
    ]) {
      // Back to the menu block with the arrow keys (the blocks are one tab stop), then to the catalog.
      await block(page, 'Menu').focus();
      await catalog(page).getByRole('searchbox', { name: 'Search actions' }).fill('speech');
      await action(page, 'Text to speech').focus();
      await page.keyboard.press('Enter');
      const key = dialog(page, 'Choose the branch');
      await key.getByRole('textbox', { name: 'Digits pressed' }).fill(digit);
      await page.keyboard.press('Enter');
      const tts = dialog(page, 'Add Text to speech');
      await tts.getByLabel('Text *').fill(text);
      await tts.getByRole('button', { name: 'Add block' }).press('Enter');
      await block(page, `Text to speech: “${text}”`).waitFor();
    }
    // The last block added is selected: Enter on Pivot puts it under "Press two".
    await catalog(page).getByRole('searchbox', { name: 'Search actions' }).fill('pivot');
    await action(page, 'Pivot').press('Enter');
    const pivot = dialog(page, 'Add Pivot');
    await pivot.getByLabel('Voice URL *').fill('https://example.com/support');
    await pivot.getByLabel('Voice URL *').press('Enter');
    await block(page, 'Pivot').waitFor();

    // Arrow keys walk the blocks: Up from Pivot is "Press two", Left is its parent the menu.
    await block(page, 'Pivot').focus();
    await page.keyboard.press('ArrowUp');
    await focusIs(page, /Press two/);
    await page.keyboard.press('ArrowLeft');
    await focusIs(page, /^Menu/);
    await page.keyboard.press('ArrowDown');
    await focusIs(page, /Press one/);
    await page.keyboard.press('ArrowDown');
    await focusIs(page, /Press two/);

    // "Press two" has its next block already: Enter on Sleep asks where to put it (Add to…).
    await catalog(page).getByRole('searchbox', { name: 'Search actions' }).fill('sleep');
    await action(page, 'Sleep').press('Enter');
    const addTo = dialog(page, 'Add Sleep to…');
    await addTo.getByRole('radio', { name: 'Pivot' }).check();
    await addTo.getByRole('button', { name: 'Continue' }).press('Enter');
    const sleep = dialog(page, 'Add Sleep');
    await sleep.getByLabel('Duration *').fill('2');
    await sleep.getByLabel('Duration *').press('Enter');
    await block(page, 'Sleep: 2 s').waitFor();

    // A branch label opens the key dialog: "press 2" becomes "press 3".
    await flow(page)
      .getByRole('button', { name: /^Branch “press 2” of Menu/ })
      .click();
    const key = dialog(page, 'Choose the branch');
    assert.equal(await key.getByRole('textbox', { name: 'Digits pressed' }).inputValue(), '2');
    await key.getByRole('textbox', { name: 'Digits pressed' }).fill('3');
    await key.getByRole('textbox', { name: 'Digits pressed' }).press('Enter');
    await flow(page)
      .getByRole('button', { name: /^Branch “press 3” of Menu/ })
      .waitFor();

    // Move the Pivot block with its subtree (under "Press two") onto "Press one" by dragging it.
    await drag(block(page, 'Pivot'), block(page, 'Text to speech: “Press one”'));
    await page.getByRole('button', { name: '+ Add number' }).click();
    const numbers = dialog(page, 'Add a number');
    await numbers.getByLabel('Extension').fill('2000');
    await numbers.getByRole('button', { name: 'Add', exact: true }).click();
    await saveWith(page, 'Save Changes');
    await page.waitForURL(/\/callflows\/[0-9a-f]{32}$/);
    const stored = await byName('Support');
    assert.equal(stored.flow.module, 'menu');
    assert.deepEqual(Object.keys(stored.flow.children).sort(), ['1', '3']);
    assert.equal(stored.flow.children['1'].children._.module, 'pivot');
    assert.equal(stored.flow.children['1'].children._.children._.module, 'sleep');
    assert.deepEqual(stored.flow.children['3'].children, {});
    assert.deepEqual(stored.numbers, ['2000']);
  });

  test('every action of the catalog opens its dialog, with a hint when the account has nothing to pick', async () => {
    const { page } = rig;
    await page.goto('/callflows/new');
    const search = catalog(page).getByRole('searchbox', { name: 'Search actions' });
    await action(page, 'Pivot').waitFor();
    const labels = await catalog(page)
      .locator('.cf-action')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    assert.ok(labels.length >= 30, `${labels.length} actions`);
    for (const label of labels) {
      await action(page, label).press('Enter');
      if (label === 'Answer' || label === 'Hang up') {
        // No settings: the block goes straight in.
        await block(page, label).waitFor();
        await flow(page)
          .getByRole('button', { name: `Remove ${label}` })
          .click();
        continue;
      }
      const d = dialog(page, `Add ${label}`);
      await d.waitFor();
      if (label === 'User') await d.getByRole('option', { name: 'admin' }).waitFor({ state: 'attached' });
      if (label === 'Device') await d.getByText('This account has no devices yet').waitFor();
      if (label === 'Voicemail') await d.getByText('This account has no voicemail boxes yet').waitFor();
      await d.getByRole('button', { name: 'Cancel' }).click();
      await d.waitFor({ state: 'hidden' });
    }
    await search.fill('record');
    assert.deepEqual(
      await catalog(page)
        .locator('.cf-action')
        .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))),
      ['Record call', 'Record caller'],
    );
    await search.fill('nothing like this');
    await catalog(page).getByText('No action matches').waitFor();
  });

  test('the list: search by name or number, open, delete with a confirmation', async () => {
    const { page } = rig;
    await page.goto('/callflows');
    await page.getByRole('link', { name: 'Support' }).waitFor();
    await rig.screenshot('callflow-list');
    const search = page.getByRole('searchbox', { name: 'Search callflows' });
    await search.fill('2000');
    await page.getByRole('link', { name: 'Support' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Main line', exact: true }).count(), 0);
    await search.fill('main');
    await page.getByRole('link', { name: 'Main line', exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Support' }).count(), 0);
    await search.fill('');

    await page.getByRole('button', { name: 'Delete Support' }).click();
    await dialog(page, 'Delete this callflow?').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('link', { name: 'Support' }).waitFor({ state: 'detached' });
    assert.equal(
      (await callflows()).some((c) => c.name === 'Support'),
      false,
    );

    // A phone-sized screen: the catalog goes under the flow, and the editor still works.
    const phone = await rig.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto('/callflows');
    await phone.getByRole('link', { name: 'Main line', exact: true }).click();
    await block(phone, 'Pivot').waitFor();
    await rig.screenshot('callflow-editor-phone', phone);
    await phone.close();

    assert.deepEqual(
      rig.errors.filter((e) => !/Failed to load resource/.test(e)),
      [],
    );
  });
});
