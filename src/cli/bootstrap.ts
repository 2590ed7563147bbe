// First-run setup: the master account and its admin user (password generated and printed when unset).

import { hashPassword, randomSecret } from '../api/passwords.js';
import type { PivotSettings } from '../config.js';
import type { DemoInfo } from '../demo/install.js';
import type { AccountDoc, Store } from '../store/types.js';

export interface Bootstrap {
  account: AccountDoc;
  /** Set only when the admin user was created on this run. */
  createdAdmin?: { username: string; password: string; generated: boolean };
  /** What the demo installer left in the master account (set by startServer when PIVOT_DEMO is on). */
  demo?: DemoInfo;
}

export async function ensureMasterAccount(store: Store, settings: PivotSettings): Promise<Bootstrap> {
  const existing = await store.accounts.findByName(settings.adminAccount);
  const account =
    existing ??
    (await store.accounts.create({
      name: settings.adminAccount,
      realm: `${settings.adminAccount}.pivot.local`,
      superduper_admin: true,
    }));
  if (await store.users.findByUsername(account.id, settings.adminUser)) return { account };
  const generated = settings.adminPassword === undefined;
  const password = settings.adminPassword ?? randomSecret(12);
  await store.users.create(account.id, {
    username: settings.adminUser,
    priv_level: 'admin',
    enabled: true,
    password_hash: await hashPassword(account.id, settings.adminUser, password),
  });
  return { account, createdAdmin: { username: settings.adminUser, password, generated } };
}
