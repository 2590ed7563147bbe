// The callflow editor: the name, the numbers (on the start block), the flow as a tree and the catalog of actions.
// Blocks are added by drag and drop or from the keyboard (select a block, press Enter on an action), then their
// dialog asks for their parameters; a keyed parent (menu, time of day…) asks for the branch first. Save is a menu:
// Save Changes, Save and Duplicate, Save and Create, Cancel. What is saved is the loaded document with the name,
// numbers and flow written over it, so fields other apps keep there survive.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, type FieldErrors } from '../api/client';
import { useLoad } from '../api/hooks';
import { useAccount } from '../api/session';
import { Button, ErrorBanner, Loading, Modal, useConfirm, useToast } from '../components/ui';
import { Link, navigate, setNavigationGuard } from '../router';
import { AddNumberDialog } from './AddNumberDialog';
import { Catalog } from './Catalog';
import { actionFor, keyKindOf, policyOf, type ActionDef, type EntityKind, type KeyKind } from './catalog';
import { EntitiesProvider, useEntityNames } from './entities';
import { FlowTree, blockTitle } from './FlowTree';
import { KeyDialog } from './KeyDialog';
import { NodeDialog, initialData } from './NodeDialog';
import { SaveMenu } from './SaveMenu';
import {
  ROOT,
  addChild,
  errorsByNode,
  findNode,
  hasRoom,
  moveNode,
  newNode,
  nodePaths,
  parentOf,
  parseFlow,
  preorder,
  removeNode,
  serializeFlow,
  setKey,
  toggleSkip,
  updateNode,
  validTargets,
  type Dragged,
  type TreeNode,
} from './tree';
import './callflow.css';

export type CallflowDoc = Record<string, unknown> & { id?: string; name?: string; numbers?: string[]; flow?: unknown };

interface Draft {
  name: string;
  numbers: string[];
  tree: TreeNode | undefined;
}

/** A callflow to open unsaved in the next "new" editor (Save and Duplicate). */
let pending: { doc: CallflowDoc; copyOf: string } | undefined;
/** A document just saved, so the editor opened on it does not load it again. */
let justSaved: CallflowDoc | undefined;

const META = ['id', 'created', 'modified', 'account_id'];
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function draftOf(doc: CallflowDoc | undefined): Draft {
  return {
    name: typeof doc?.name === 'string' ? doc.name : '',
    numbers: strings(doc?.numbers),
    tree: parseFlow(doc?.flow),
  };
}

const snapshot = (d: Draft): string =>
  JSON.stringify({ name: d.name.trim(), numbers: d.numbers, flow: d.tree ? serializeFlow(d.tree) : null });

/** The editor for `/callflows/:id` (`id` undefined: a new callflow). */
export function CallflowEditor({ id }: { id?: string }) {
  const { base } = useAccount();
  const load = useLoad(
    (signal) => {
      if (!id) return Promise.resolve(undefined);
      if (justSaved?.id === id) return Promise.resolve(justSaved);
      return api.get<CallflowDoc>(`${base}/callflows/${encodeURIComponent(id)}`, { signal });
    },
    [base, id],
  );
  const [fresh] = useState(() => (id ? undefined : pending));
  useEffect(() => {
    if (!id) pending = undefined;
    justSaved = undefined;
  }, [id]);

  if (id && load.error) {
    return (
      <div>
        <p>
          <Link to="/callflows">← Callflows</Link>
        </p>
        <ErrorBanner
          error={load.error}
          onRetry={load.reload}
          title={load.error.status === 404 ? 'This callflow does not exist (any more)' : 'Could not load the callflow'}
        />
      </div>
    );
  }
  if (id && !load.data) return <Loading what="the callflow" />;
  return (
    <EntitiesProvider base={base}>
      <EditorBody id={id} doc={id ? load.data : fresh?.doc} saved={!!id} copyOf={fresh?.copyOf} />
    </EntitiesProvider>
  );
}

interface SaveProblem {
  message: string;
  fields?: FieldErrors;
}

type KeyRequest = {
  kind: KeyKind;
  parentLabel: string;
  used: string[];
  current?: string;
  choose(key: string): void;
};

type NodeRequest = { mode: 'add'; action: ActionDef; parentId: string; key: string } | { mode: 'edit'; nodeId: string };

const ENTITY_KINDS: EntityKind[] = [
  'users',
  'devices',
  'media',
  'menus',
  'conferences',
  'vmboxes',
  'callflows',
  'temporal_rules',
];

function EditorBody({ id, doc, saved, copyOf }: { id?: string; doc?: CallflowDoc; saved: boolean; copyOf?: string }) {
  const { base } = useAccount();
  const confirm = useConfirm();
  const toast = useToast();
  const [loaded, setLoaded] = useState<CallflowDoc | undefined>(doc);
  const [draft, setDraft] = useState<Draft>(() => draftOf(doc));
  const [baseline, setBaseline] = useState(() => (saved ? snapshot(draftOf(doc)) : snapshot(draftOf(undefined))));
  const [selected, setSelected] = useState<string>(ROOT);
  const [dragged, setDragged] = useState<Dragged>();
  const [over, setOver] = useState<string>();
  const [keyRequest, setKeyRequest] = useState<KeyRequest>();
  const [nodeRequest, setNodeRequest] = useState<NodeRequest>();
  const [addTo, setAddTo] = useState<ActionDef>();
  const [numberDialog, setNumberDialog] = useState(false);
  const [problem, setProblem] = useState<SaveProblem>();
  const [busy, setBusy] = useState(false);
  const canvasRef = useRef<HTMLElement>(null);

  // Entity names for captions and branch labels: only the kinds the flow refers to are loaded.
  const neededKinds = useMemo(() => {
    const kinds = new Set<EntityKind>();
    for (const n of preorder(draft.tree)) {
      const action = actionFor(n.module, n.data);
      for (const f of action.fields) if (f.kind === 'entity' && f.name === 'id') kinds.add(f.entity);
      if (keyKindOf(n.module) === 'temporal') kinds.add('temporal_rules');
    }
    return ENTITY_KINDS.filter((k) => kinds.has(k));
  }, [draft.tree]);
  const names = useEntityNames(neededKinds);

  const dirty = snapshot(draft) !== baseline;
  const patterns = strings(loaded?.patterns);
  const tree = draft.tree;
  const nodeErrors = useMemo(() => errorsByNode(tree, problem?.fields ?? {}), [tree, problem]);

  // A flow wider than the screen opens centred on its start.
  useEffect(() => {
    const c = canvasRef.current;
    if (c && c.scrollWidth > c.clientWidth) c.scrollLeft = (c.scrollWidth - c.clientWidth) / 2;
  }, []);

  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    // Leaving through the app's links asks too.
    const unguard = setNavigationGuard(() =>
      confirm({
        title: 'Leave without saving?',
        message: 'Your changes to this callflow are not saved: they will be lost.',
        confirm: 'Leave',
        danger: true,
      }),
    );
    return () => {
      window.removeEventListener('beforeunload', warn);
      unguard();
    };
  }, [dirty, confirm]);

  const setTree = (fn: (t: TreeNode | undefined) => TreeNode | undefined) =>
    setDraft((d) => ({ ...d, tree: fn(d.tree) }));

  /** Forgets the server's errors about a node once it changed. */
  const clearNodeErrors = (nodeId: string) => {
    const path = nodePaths(tree).get(nodeId);
    if (!path || !problem?.fields) return;
    const fields = Object.fromEntries(
      Object.entries(problem.fields).filter(
        ([k]) => !(k === path || k.startsWith(`${path}.data`) || k === `${path}.module`),
      ),
    );
    setProblem(Object.keys(fields).length ? { ...problem, fields } : undefined);
  };

  const label = (nodeId: string): string => {
    if (nodeId === ROOT) return 'the start';
    const node = findNode(tree, nodeId);
    return node ? blockTitle(node, names).label : 'the block';
  };

  // ---- adding, moving, editing blocks ----

  const askKey = (parentId: string, then: (key: string) => void, current?: string) => {
    const parent = findNode(tree, parentId);
    const kind = parent ? keyKindOf(parent.module) : undefined;
    if (!parent || !kind || policyOf(parent.module) !== 'keyed') {
      then('_');
      return;
    }
    setKeyRequest({
      kind,
      parentLabel: `“${label(parentId)}”`,
      used: parent.children.map((c) => c.key).filter((k) => k !== current),
      current,
      choose: (key) => {
        setKeyRequest(undefined);
        then(key);
      },
    });
  };

  const insert = (action: ActionDef, parentId: string, key: string, data: Record<string, unknown>) => {
    const node = newNode(action.module, data);
    try {
      setTree((t) => addChild(t, parentId, key, node, policyOf));
      setSelected(node.id);
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  };

  const startAdd = (action: ActionDef, parentId: string) => {
    askKey(parentId, (key) => {
      if (action.fields.length === 0) insert(action, parentId, key, initialData(action));
      else setNodeRequest({ mode: 'add', action, parentId, key });
    });
  };

  const startMove = (nodeId: string, parentId: string) => {
    askKey(parentId, (key) => {
      try {
        setTree((t) => moveNode(t, nodeId, parentId, key, policyOf));
        setSelected(nodeId);
      } catch (err) {
        toast((err as Error).message, 'error');
      }
    });
  };

  const activate = (action: ActionDef) => {
    if (hasRoom(tree, selected, policyOf)) startAdd(action, selected);
    else if (!tree) startAdd(action, ROOT);
    else setAddTo(action);
  };

  const remove = async (nodeId: string) => {
    const node = findNode(tree, nodeId);
    if (!node) return;
    const below = preorder(node).length - 1;
    if (below > 0) {
      const ok = await confirm({
        title: `Remove “${label(nodeId)}”?`,
        message: `The ${below} block${below === 1 ? '' : 's'} under it will be removed too.`,
        confirm: 'Remove',
        danger: true,
      });
      if (!ok) return;
    }
    const parent = parentOf(tree, nodeId)?.parentId ?? ROOT;
    clearNodeErrors(nodeId);
    setTree((t) => removeNode(t, nodeId));
    setSelected(parent);
  };

  // The action being dragged from the catalog (the drag state itself only says "an action").
  const dragAction = useRef<ActionDef | undefined>(undefined);

  const drop = (targetId: string) => {
    const what = dragged;
    const action = dragAction.current;
    setDragged(undefined);
    setOver(undefined);
    dragAction.current = undefined;
    if (what?.kind === 'node') startMove(what.id, targetId);
    else if (what && action) startAdd(action, targetId);
  };

  const targets = useMemo(() => (dragged ? validTargets(tree, dragged, policyOf) : undefined), [dragged, tree]);

  // ---- saving ----

  const save = useCallback(async (): Promise<CallflowDoc | undefined> => {
    setProblem(undefined);
    if (draft.numbers.length === 0 && patterns.length === 0) {
      setProblem({ message: 'Add a number or an extension before saving: calls reach a callflow by its numbers.' });
      canvasRef.current?.querySelector<HTMLButtonElement>('.cf-addnumber')?.focus();
      return undefined;
    }
    if (!draft.tree) {
      setProblem({ message: 'Add at least one action to the flow before saving.' });
      return undefined;
    }
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(loaded ?? {})) if (!META.includes(k)) body[k] = v;
    const name = draft.name.trim();
    if (name) body.name = name;
    else delete body.name;
    body.numbers = draft.numbers;
    body.flow = serializeFlow(draft.tree);
    setBusy(true);
    try {
      const stored = id
        ? await api.post<CallflowDoc>(`${base}/callflows/${encodeURIComponent(id)}`, body)
        : await api.put<CallflowDoc>(`${base}/callflows`, body);
      toast(`Saved “${stored.name || stored.numbers?.[0] || 'callflow'}”`);
      return stored;
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(0, String(err));
      setProblem({ message: e.message, fields: e.fields });
      return undefined;
    } finally {
      setBusy(false);
    }
  }, [draft, patterns.length, loaded, id, base, toast]);

  const saveChanges = async () => {
    const stored = await save();
    if (!stored) return;
    if (!id) {
      justSaved = stored;
      navigate(`/callflows/${encodeURIComponent(String(stored.id))}`, { replace: true });
      return;
    }
    const next = draftOf(stored);
    setLoaded(stored);
    setDraft(next);
    setBaseline(snapshot(next));
    setSelected(ROOT);
  };

  const saveAndDuplicate = async () => {
    const stored = await save();
    if (!stored) return;
    const copy: CallflowDoc = {};
    for (const [k, v] of Object.entries(stored))
      if (![...META, 'numbers', 'patterns', 'featurecode'].includes(k)) copy[k] = v;
    const original = stored.name || stored.numbers?.[0] || 'Callflow';
    copy.name = `${original} copy`;
    copy.numbers = [];
    pending = { doc: copy, copyOf: original };
    navigate(`/callflows/new?draft=${Date.now()}`);
  };

  const saveAndCreate = async () => {
    const stored = await save();
    if (!stored) return;
    pending = undefined;
    navigate(`/callflows/new?draft=${Date.now()}`);
  };

  const cancel = async () => {
    if (!dirty) {
      if (!saved) navigate('/callflows');
      else toast('No changes to discard');
      return;
    }
    const ok = await confirm({
      title: 'Discard your changes?',
      message: saved
        ? 'The flow, name and numbers go back to what was last saved.'
        : 'This callflow was never saved: it will be lost.',
      confirm: 'Discard changes',
      danger: true,
    });
    if (!ok) return;
    setProblem(undefined);
    if (!saved) {
      setBaseline(snapshot(draft));
      navigate('/callflows');
      return;
    }
    setDraft(draftOf(loaded));
    setSelected(ROOT);
    toast('Changes discarded');
  };

  const deleteCallflow = async () => {
    if (!id) return;
    const ok = await confirm({
      title: 'Delete this callflow?',
      message: `“${draft.name || draft.numbers[0] || id}” will be deleted; calls to its numbers will no longer be answered by it.`,
      confirm: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`${base}/callflows/${encodeURIComponent(id)}`);
      setBaseline(snapshot(draft));
      toast('Callflow deleted');
      navigate('/callflows');
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(0, String(err));
      setProblem({ message: `Could not delete the callflow: ${e.message}`, fields: e.fields });
    }
  };

  // Ctrl+S / Cmd+S saves.
  const saveRef = useRef(saveChanges);
  saveRef.current = saveChanges;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
        e.preventDefault();
        // Not while a dialog is open: its changes are not in the flow yet.
        if (!document.querySelector('dialog[open]')) void saveRef.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // ---- what the dialogs show ----

  const editing = nodeRequest?.mode === 'edit' ? findNode(tree, nodeRequest.nodeId) : undefined;
  const numbersError = problem?.fields?.numbers?.join(', ');
  const selectedTarget = (() => {
    if (selected === ROOT) return tree ? undefined : 'as the first block of the flow';
    if (!hasRoom(tree, selected, policyOf)) return undefined;
    return `under “${label(selected)}”`;
  })();

  const describe = (field: string): string => {
    if (field === 'numbers') return 'Numbers';
    if (field === 'name') return 'Name';
    if (!field.startsWith('flow')) return field;
    const paths = [...nodePaths(tree)].sort((a, b) => b[1].length - a[1].length);
    const hit = paths.find(([, p]) => field === p || field.startsWith(`${p}.`));
    if (!hit) return field;
    const rest = field.slice(hit[1].length + 1).replace(/^data\./, '');
    return `Block “${label(hit[0])}”${rest ? ` — ${rest}` : ''}`;
  };

  const title = draft.name.trim() || (saved ? 'Unnamed callflow' : 'New callflow');

  return (
    <div className="cf-editor">
      <div className="cf-head">
        <div className="cf-head-main">
          <Link to="/callflows" className="cf-back">
            ← Callflows
          </Link>
          <h1 className="sr-only">{title}</h1>
          <label className="cf-name">
            <span className="sr-only">Callflow name</span>
            <input
              value={draft.name}
              placeholder="Name this callflow"
              aria-label="Callflow name"
              maxLength={128}
              onChange={(e) => setDraft((d) => ({ ...d, name: e.target.value }))}
            />
          </label>
        </div>
        <div className="cf-head-actions">
          {saved ? (
            <Button variant="ghost" className="cf-delete" onClick={() => void deleteCallflow()}>
              Delete callflow
            </Button>
          ) : null}
          <SaveMenu
            busy={busy}
            dirty={dirty}
            items={[
              { label: 'Save Changes', hint: 'Save and keep editing', run: () => void saveChanges() },
              {
                label: 'Save and Duplicate',
                hint: 'Save, then edit a copy (it needs its own numbers)',
                run: () => void saveAndDuplicate(),
              },
              { label: 'Save and Create', hint: 'Save, then start a new callflow', run: () => void saveAndCreate() },
              { label: 'Cancel', hint: 'Discard the changes', run: () => void cancel(), danger: true },
            ]}
          />
        </div>
      </div>

      {copyOf ? (
        <div className="banner banner-info" role="status">
          <div>
            This is a copy of “{copyOf}”, not saved yet. Give it its own number or extension, check its name, then save.
          </div>
        </div>
      ) : null}
      {dirty ? (
        <div className="banner banner-warn cf-unsaved" role="status">
          <div>
            <strong>You have unsaved changes.</strong> Save them with <kbd>Save</kbd> (or Ctrl+S), or discard them with
            Save ▸ Cancel.
          </div>
        </div>
      ) : null}
      {problem ? (
        <div className="banner banner-error" role="alert">
          <div>
            <strong>{problem.fields ? 'The callflow was not saved' : problem.message}</strong>
            {problem.fields ? (
              <>
                <div>{problem.message}</div>
                <ul className="cf-problems">
                  {Object.entries(problem.fields).map(([k, m]) => (
                    <li key={k}>
                      {describe(k)}: {m.join(', ')}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </div>
          <Button variant="ghost" onClick={() => setProblem(undefined)}>
            Dismiss
          </Button>
        </div>
      ) : null}

      <div className="cf-main">
        <section className="cf-canvas" aria-label="Flow" ref={canvasRef}>
          <FlowTree
            tree={tree}
            name={draft.name}
            numbers={draft.numbers}
            patterns={patterns}
            numbersError={numbersError}
            selected={selected}
            targets={targets}
            moving={dragged?.kind === 'node' ? dragged.id : undefined}
            over={over}
            names={names}
            errors={nodeErrors}
            onSelect={setSelected}
            onEdit={(nodeId) => setNodeRequest({ mode: 'edit', nodeId })}
            onRemove={(nodeId) => void remove(nodeId)}
            onToggleSkip={(nodeId) => {
              clearNodeErrors(nodeId);
              setTree((t) => toggleSkip(t, nodeId));
            }}
            onRelabel={(nodeId) => {
              const where = parentOf(tree, nodeId);
              if (!where) return;
              askKey(
                where.parentId,
                (key) => {
                  try {
                    setTree((t) => setKey(t, nodeId, key));
                  } catch (err) {
                    toast((err as Error).message, 'error');
                  }
                },
                where.key,
              );
            }}
            onAddNumber={() => setNumberDialog(true)}
            onRemoveNumber={(n) => {
              setDraft((d) => ({ ...d, numbers: d.numbers.filter((x) => x !== n) }));
              if (problem?.fields?.numbers) setProblem(undefined);
            }}
            onOver={setOver}
            onDrop={drop}
            onNodeDragStart={(nodeId) => setDragged({ kind: 'node', id: nodeId })}
            onDragEnd={() => {
              setDragged(undefined);
              setOver(undefined);
            }}
          />
        </section>
        <Catalog
          target={selectedTarget}
          onActivate={activate}
          onDragStart={(action) => {
            dragAction.current = action;
            setDragged({ kind: 'action' });
          }}
          onDragEnd={() => {
            setDragged(undefined);
            setOver(undefined);
          }}
        />
      </div>

      {keyRequest ? (
        <KeyDialog
          kind={keyRequest.kind}
          parentLabel={keyRequest.parentLabel}
          used={keyRequest.used}
          current={keyRequest.current}
          onChoose={keyRequest.choose}
          onCancel={() => setKeyRequest(undefined)}
        />
      ) : null}
      {nodeRequest?.mode === 'add' ? (
        <NodeDialog
          action={nodeRequest.action}
          data={initialData(nodeRequest.action)}
          mode="add"
          selfId={id}
          where={
            nodeRequest.parentId === ROOT ? 'It starts the flow.' : `It goes under “${label(nodeRequest.parentId)}”.`
          }
          onCancel={() => setNodeRequest(undefined)}
          onSave={(data) => {
            insert(nodeRequest.action, nodeRequest.parentId, nodeRequest.key, data);
            setNodeRequest(undefined);
          }}
        />
      ) : null}
      {editing ? (
        <NodeDialog
          key={editing.id}
          action={actionFor(editing.module, editing.data)}
          data={editing.data}
          mode="edit"
          selfId={id}
          serverErrors={nodeErrors.get(editing.id)}
          onCancel={() => setNodeRequest(undefined)}
          onSave={(data) => {
            clearNodeErrors(editing.id);
            setTree((t) => updateNode(t, editing.id, (n) => ({ ...n, data })));
            setNodeRequest(undefined);
          }}
        />
      ) : null}
      {addTo ? (
        <AddToDialog
          action={addTo}
          options={preorder(tree)
            .filter((n) => hasRoom(tree, n.id, policyOf))
            .map((n) => {
              const t = blockTitle(n, names);
              return { id: n.id, label: t.caption ? `${t.label} — ${t.caption}` : t.label };
            })}
          onCancel={() => setAddTo(undefined)}
          onChoose={(parentId) => {
            setAddTo(undefined);
            setSelected(parentId);
            startAdd(addTo, parentId);
          }}
        />
      ) : null}
      {numberDialog ? (
        <AddNumberDialog
          base={base}
          callflowId={id}
          taken={draft.numbers}
          onCancel={() => setNumberDialog(false)}
          onAdd={(numbers) => {
            setNumberDialog(false);
            setDraft((d) => ({ ...d, numbers: [...d.numbers, ...numbers.filter((n) => !d.numbers.includes(n))] }));
            if (problem && !problem.fields) setProblem(undefined);
          }}
        />
      ) : null}
    </div>
  );
}

/** "Add to…": where an action activated from the catalog goes when the selected block has no room for it. */
function AddToDialog({
  action,
  options,
  onChoose,
  onCancel,
}: {
  action: ActionDef;
  options: { id: string; label: string }[];
  onChoose(id: string): void;
  onCancel(): void;
}) {
  const [choice, setChoice] = useState(options[0]?.id ?? '');
  return (
    <Modal
      title={`Add ${action.label} to…`}
      open
      onClose={onCancel}
      footer={
        <>
          <Button onClick={onCancel}>Cancel</Button>
          <Button variant="primary" disabled={!choice} onClick={() => onChoose(choice)}>
            Continue
          </Button>
        </>
      }
    >
      {options.length === 0 ? (
        <p>
          No block of this flow has room for another block: every block already has its next block. Remove one, or add a
          block that branches (Menu, Time of day…).
        </p>
      ) : (
        <fieldset className="cf-fieldset cf-keys">
          <legend>Which block should it go under?</legend>
          {options.map((o) => (
            <label key={o.id} className="cf-radio">
              <input type="radio" name="target" checked={choice === o.id} onChange={() => setChoice(o.id)} />
              {o.label}
            </label>
          ))}
        </fieldset>
      )}
    </Modal>
  );
}
