// The web app in a real browser: Debian's Chromium driven by playwright-core (headless, loopback only, fake
// microphone: spec/media.md §5), against a started Pivot that serves the built app. Screenshots go to
// $PIVOT_SCREENSHOTS (docs/screenshots when updating the README's pictures), else to a temporary folder.

import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureWebBuilt } from '../../scripts/web-build.js';
import { apiServer, type ApiServer } from './api.js';

export const CHROMIUM = process.env.PIVOT_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-sync',
  '--no-first-run',
  '--metrics-recording-only',
];

const shots = process.env.PIVOT_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'pivot-shots-'));

export interface WebRig {
  api: ApiServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Every console error and page error seen, to assert the app stayed clean. */
  errors: string[];
  /** Opens the app signed in as the master account's admin. */
  signIn(page?: Page): Promise<void>;
  /** A full-page screenshot named `<name>.png`. */
  screenshot(name: string, page?: Page): Promise<string>;
  stop(): Promise<void>;
}

/** A started Pivot (RTP on `rtpPorts`) and a Chromium page at 1280×800. */
export async function webRig(
  rtpPorts: { min: number; max: number },
  opts: { audioFile?: string } = {},
): Promise<WebRig> {
  await ensureWebBuilt();
  const api = await apiServer(rtpPorts);
  const args = [...FLAGS];
  if (opts.audioFile) args.push(`--use-file-for-fake-audio-capture=${opts.audioFile}`);
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args, timeout: 30_000 });
  } catch (err) {
    await api.stop();
    throw err;
  }
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    baseURL: api.base,
    permissions: ['microphone'],
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  const watch = (p: Page) => {
    p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
  };
  watch(page);
  context.on('page', watch);
  mkdirSync(shots, { recursive: true });
  return {
    api,
    browser,
    context,
    page,
    errors,
    async signIn(p = page) {
      await p.goto('/');
      await p.getByLabel('Account').fill('admin');
      await p.getByLabel('Username').fill('admin');
      await p.getByLabel('Password').fill(api.adminPassword);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('navigation', { name: 'Main' }).waitFor();
    },
    async screenshot(name, p = page) {
      const file = join(shots, `${name}.png`);
      await p.screenshot({ path: file, fullPage: true });
      return file;
    },
    async stop() {
      await browser.close().catch(() => undefined);
      await api.stop();
    },
  };
}
