// The callflow as the editor holds it: a tree of nodes, each with a stable id (for React, selection and drag and
// drop) and its children in order with their branch keys. Every operation here is pure (it returns a new tree and
// never changes the one it was given), so the editor's undo-free state stays simple and these rules are easy to test:
//   - parse / serialize map the tree to and from Kazoo's callflow JSON {module, data, children: {key: node}};
//   - a node takes children by its module's policy: none (hangup), one `_` child (most), or keyed children (menu
//     digits, time-of-day rules, branch values, dial failure codes);
//   - a node never moves into its own subtree.
// `ROOT` is the synthetic start node (the callflow's numbers): its only child is the flow's first action.

export const ROOT = 'root';

export interface TreeNode {
  id: string;
  module: string;
  data: Record<string, unknown>;
  children: TreeChild[];
}

export interface TreeChild {
  key: string;
  node: TreeNode;
}

/** Kazoo callflow JSON. */
export interface FlowJson {
  module: string;
  data: Record<string, unknown>;
  children: Record<string, FlowJson>;
}

/** How many children a module takes: none, one (`_`), or any number under distinct keys. */
export type ChildPolicy = 'none' | 'one' | 'keyed';
export type PolicyOf = (module: string) => ChildPolicy;

let counter = 0;
/** A fresh node id (unique within the page). */
export function newId(): string {
  counter += 1;
  return `n${counter}`;
}

export function newNode(module: string, data: Record<string, unknown> = {}): TreeNode {
  return { id: newId(), module, data, children: [] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Kazoo JSON → tree. Anything that is not a node (an empty flow `{}`) is no tree. */
export function parseFlow(flow: unknown): TreeNode | undefined {
  if (!isObject(flow) || typeof flow.module !== 'string' || !flow.module) return undefined;
  const children: TreeChild[] = [];
  if (isObject(flow.children)) {
    for (const [key, child] of Object.entries(flow.children)) {
      const node = parseFlow(child);
      if (node) children.push({ key, node });
    }
  }
  return { id: newId(), module: flow.module, data: isObject(flow.data) ? structuredClone(flow.data) : {}, children };
}

/** Tree → Kazoo JSON: every node has `data` and `children` (`{}` on a leaf), as Monster writes them. */
export function serializeFlow(node: TreeNode): FlowJson {
  const children: Record<string, FlowJson> = {};
  for (const c of node.children) children[c.key] = serializeFlow(c.node);
  return { module: node.module, data: structuredClone(node.data), children };
}

/** The node with `id`, or undefined. */
export function findNode(tree: TreeNode | undefined, id: string): TreeNode | undefined {
  if (!tree) return undefined;
  if (tree.id === id) return tree;
  for (const c of tree.children) {
    const found = findNode(c.node, id);
    if (found) return found;
  }
  return undefined;
}

/** The parent of `id` (ROOT for the first action) and the branch key it hangs under. */
export function parentOf(tree: TreeNode | undefined, id: string): { parentId: string; key: string } | undefined {
  if (!tree) return undefined;
  if (tree.id === id) return { parentId: ROOT, key: '_' };
  const walk = (node: TreeNode): { parentId: string; key: string } | undefined => {
    for (const c of node.children) {
      if (c.node.id === id) return { parentId: node.id, key: c.key };
      const found = walk(c.node);
      if (found) return found;
    }
    return undefined;
  };
  return walk(tree);
}

/** True when `id` is `node` or lies somewhere under it. */
export function contains(node: TreeNode, id: string): boolean {
  return node.id === id || node.children.some((c) => contains(c.node, id));
}

/** Every node, parents before children (the order the tree is drawn and the keyboard walks it). */
export function preorder(tree: TreeNode | undefined): TreeNode[] {
  if (!tree) return [];
  return [tree, ...tree.children.flatMap((c) => preorder(c.node))];
}

/** Whether `parentId` has room for one more child. */
export function hasRoom(tree: TreeNode | undefined, parentId: string, policy: PolicyOf): boolean {
  if (parentId === ROOT) return !tree;
  const parent = findNode(tree, parentId);
  if (!parent) return false;
  const p = policy(parent.module);
  return p === 'keyed' || (p === 'one' && parent.children.length === 0);
}

/** What is being dragged: a new action from the catalog, or an existing node (with its subtree). */
export type Dragged = { kind: 'action' } | { kind: 'node'; id: string };

/**
 * The ids (ROOT included) a dragged item may be dropped on: a node with room, and for a moved node, not inside its
 * own subtree, and not the parent it already hangs under unless that parent has keyed children (a new key).
 */
export function validTargets(tree: TreeNode | undefined, dragged: Dragged, policy: PolicyOf): Set<string> {
  const out = new Set<string>();
  if (dragged.kind === 'action') {
    if (hasRoom(tree, ROOT, policy)) out.add(ROOT);
    for (const n of preorder(tree)) if (hasRoom(tree, n.id, policy)) out.add(n.id);
    return out;
  }
  const moving = findNode(tree, dragged.id);
  if (!moving || !tree) return out;
  for (const n of preorder(tree)) {
    if (contains(moving, n.id)) continue;
    if (hasRoom(tree, n.id, policy)) out.add(n.id);
  }
  return out;
}

/** Replaces the node `id` by `fn(node)` (fn returns a new node); the rest of the tree is shared. */
export function updateNode(
  tree: TreeNode | undefined,
  id: string,
  fn: (node: TreeNode) => TreeNode,
): TreeNode | undefined {
  if (!tree) return tree;
  if (tree.id === id) return fn(tree);
  let changed = false;
  const children = tree.children.map((c) => {
    const node = updateNode(c.node, id, fn);
    if (node !== c.node) changed = true;
    return node === c.node ? c : { key: c.key, node: node! };
  });
  return changed ? { ...tree, children } : tree;
}

/** The keys in use under `parentId`. */
export function usedKeys(tree: TreeNode | undefined, parentId: string): string[] {
  if (parentId === ROOT) return tree ? ['_'] : [];
  return findNode(tree, parentId)?.children.map((c) => c.key) ?? [];
}

/** Adds `node` under `parentId` with `key`. Throws when the parent has no room or the key is taken. */
export function addChild(
  tree: TreeNode | undefined,
  parentId: string,
  key: string,
  node: TreeNode,
  policy: PolicyOf,
): TreeNode {
  if (!hasRoom(tree, parentId, policy)) throw new Error('that block has no room for another block');
  if (parentId === ROOT) return node;
  if (usedKeys(tree, parentId).includes(key)) throw new Error(`that block already has a "${key}" branch`);
  return updateNode(tree, parentId, (p) => ({ ...p, children: [...p.children, { key, node }] }))!;
}

/** Removes `id` and its subtree (removing the first action empties the flow). */
export function removeNode(tree: TreeNode | undefined, id: string): TreeNode | undefined {
  if (!tree || tree.id === id) return undefined;
  const where = parentOf(tree, id);
  if (!where) return tree;
  return updateNode(tree, where.parentId, (p) => ({ ...p, children: p.children.filter((c) => c.node.id !== id) }));
}

/** Moves `id` with its subtree under `parentId` with `key`; refuses a move into its own subtree. */
export function moveNode(
  tree: TreeNode | undefined,
  id: string,
  parentId: string,
  key: string,
  policy: PolicyOf,
): TreeNode {
  const moving = findNode(tree, id);
  if (!tree || !moving) throw new Error('that block is not in the flow');
  if (parentId === ROOT) throw new Error('the start of the flow already has a block');
  if (contains(moving, parentId)) throw new Error('a block cannot move under itself');
  const without = removeNode(tree, id);
  return addChild(without, parentId, key, moving, policy);
}

/** Changes the branch key `id` hangs under. */
export function setKey(tree: TreeNode | undefined, id: string, key: string): TreeNode | undefined {
  const where = parentOf(tree, id);
  if (!where || where.parentId === ROOT || where.key === key) return tree;
  if (usedKeys(tree, where.parentId).includes(key)) throw new Error(`that block already has a "${key}" branch`);
  return updateNode(tree, where.parentId, (p) => ({
    ...p,
    children: p.children.map((c) => (c.node.id === id ? { key, node: c.node } : c)),
  }));
}

/** Switches a node's `skip_module` (the callflow runs past a skipped block). */
export function toggleSkip(tree: TreeNode | undefined, id: string): TreeNode | undefined {
  return updateNode(tree, id, (n) => {
    const data = { ...n.data };
    if (data.skip_module === true) delete data.skip_module;
    else data.skip_module = true;
    return { ...n, data };
  });
}

/** Each node's path in the saved JSON (`flow`, `flow.children._`, `flow.children._.children.1`…). */
export function nodePaths(tree: TreeNode | undefined, base = 'flow'): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (node: TreeNode, path: string) => {
    out.set(node.id, path);
    for (const c of node.children) walk(c.node, `${path}.children.${c.key}`);
  };
  if (tree) walk(tree, base);
  return out;
}

/**
 * Server errors on flow paths (`flow.children._.data.voice_url`) given to their nodes: node id → field of its data
 * (`voice_url`, `module`, or '' for the node as a whole) → messages.
 */
export function errorsByNode(
  tree: TreeNode | undefined,
  fields: Record<string, string[]>,
): Map<string, Record<string, string>> {
  const paths = [...nodePaths(tree)].sort((a, b) => b[1].length - a[1].length);
  const out = new Map<string, Record<string, string>>();
  for (const [field, messages] of Object.entries(fields)) {
    if (field !== 'flow' && !field.startsWith('flow.')) continue;
    const hit = paths.find(([, p]) => field === p || field.startsWith(`${p}.`));
    if (!hit) continue;
    const rest = field.slice(hit[1].length + 1);
    const name = rest.startsWith('data.') ? rest.slice(5) : rest;
    const errors = out.get(hit[0]) ?? {};
    errors[name] = messages.join(', ');
    out.set(hit[0], errors);
  }
  return out;
}
