// The account's documents a callflow refers to by id (users, devices, media, menus, conferences, voicemail boxes,
// callflows, time rules): loaded once per editor when first needed, for the pickers in the dialogs and the names on
// the blocks and branches.

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError, listAll } from '../api/client';
import type { EntityKind } from './catalog';

export interface Entity {
  id: string;
  label: string;
}

interface ListState {
  items?: Entity[];
  error?: ApiError;
  loading: boolean;
}

interface EntitiesValue {
  state: Partial<Record<EntityKind, ListState>>;
  ensure(kind: EntityKind): void;
  reload(kind: EntityKind): void;
}

const EntitiesContext = createContext<EntitiesValue | undefined>(undefined);

/** What the pickers call each kind, and where the app manages it (if it has a page for it). */
export const ENTITY_INFO: Record<EntityKind, { one: string; many: string; page?: string; api: string }> = {
  users: { one: 'user', many: 'users', page: '/users', api: 'users' },
  devices: { one: 'device', many: 'devices', page: '/devices', api: 'devices' },
  media: { one: 'media file', many: 'media files', page: '/media', api: 'media' },
  menus: { one: 'menu', many: 'menus', api: 'menus' },
  conferences: { one: 'conference', many: 'conferences', api: 'conferences' },
  vmboxes: { one: 'voicemail box', many: 'voicemail boxes', api: 'vmboxes' },
  callflows: { one: 'callflow', many: 'callflows', page: '/callflows', api: 'callflows' },
  temporal_rules: { one: 'time rule', many: 'time rules', api: 'temporal_rules' },
};

const s = (v: unknown): string => (typeof v === 'string' ? v : '');

function labelOf(kind: EntityKind, doc: Record<string, unknown>): string {
  const id = s(doc.id);
  switch (kind) {
    case 'users':
      return `${s(doc.first_name)} ${s(doc.last_name)}`.trim() || s(doc.username) || s(doc.email) || id;
    case 'vmboxes':
      return doc.mailbox ? `${s(doc.name) || 'Mailbox'} (${s(doc.mailbox)})` : s(doc.name) || id;
    case 'callflows': {
      const numbers = Array.isArray(doc.numbers) ? doc.numbers.join(', ') : '';
      return s(doc.name) || numbers || id;
    }
    case 'temporal_rules':
      return (s(doc.name) || id) + (Array.isArray(doc.temporal_rules) ? ' (rule set)' : '');
    default:
      return s(doc.name) || id;
  }
}

export function EntitiesProvider({ base, children }: { base: string; children: ReactNode }) {
  const [state, setState] = useState<Partial<Record<EntityKind, ListState>>>({});
  const started = useRef(new Set<EntityKind>());

  const load = useCallback(
    (kind: EntityKind) => {
      started.current.add(kind);
      setState((old) => ({ ...old, [kind]: { ...old[kind], loading: true, error: undefined } }));
      listAll<Record<string, unknown>>(`${base}/${ENTITY_INFO[kind].api}`)
        .then((docs) => {
          const items = docs
            .map((d) => ({ id: s(d.id), label: labelOf(kind, d) }))
            .filter((e) => e.id)
            .sort((a, b) => a.label.localeCompare(b.label));
          setState((old) => ({ ...old, [kind]: { items, loading: false } }));
        })
        .catch((err: unknown) => {
          const error = err instanceof ApiError ? err : new ApiError(0, String(err));
          setState((old) => ({ ...old, [kind]: { ...old[kind], loading: false, error } }));
        });
    },
    [base],
  );

  const ensure = useCallback(
    (kind: EntityKind) => {
      if (!started.current.has(kind)) load(kind);
    },
    [load],
  );

  const value = useMemo(() => ({ state, ensure, reload: load }), [state, ensure, load]);
  return <EntitiesContext.Provider value={value}>{children}</EntitiesContext.Provider>;
}

function useEntitiesContext(): EntitiesValue {
  const v = useContext(EntitiesContext);
  if (!v) throw new Error('useEntities outside EntitiesProvider');
  return v;
}

/** One kind's list (loaded on first use), with its loading and error state. */
export function useEntities(kind: EntityKind): ListState & { reload(): void } {
  const { state, ensure, reload } = useEntitiesContext();
  useEffect(() => ensure(kind), [ensure, kind]);
  return { ...(state[kind] ?? { loading: true }), reload: () => reload(kind) };
}

/**
 * A name lookup over the lists loaded so far; `want` lists the kinds the caller needs names of (loaded on first
 * use). Unknown ids give undefined, so callers show the id instead.
 */
export function useEntityNames(want: EntityKind[]): (kind: EntityKind, id: string) => string | undefined {
  const { state, ensure } = useEntitiesContext();
  const key = want.join(',');
  useEffect(() => {
    for (const k of key.split(',')) if (k) ensure(k as EntityKind);
  }, [ensure, key]);
  return useCallback((kind, id) => state[kind]?.items?.find((e) => e.id === id)?.label, [state]);
}
