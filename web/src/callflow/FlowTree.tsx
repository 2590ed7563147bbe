// The flow drawn as a tree from its start (the callflow's numbers) down: each block with its children under it and
// the branch key on the edge into each child. Blocks are drop targets (only those that can take the dragged item
// light up; the others fade) and can be dragged themselves to move their subtree. The blocks form one keyboard stop
// (roving focus): arrows move the selection, Enter edits, Delete removes; the selected block's own buttons (disable,
// remove) follow it in the tab order.

import { useLayoutEffect, useRef, type DragEvent, type KeyboardEvent, type ReactNode } from 'react';
import { actionFor, keyKindOf, keyLabel, type EntityKind } from './catalog';
import { ROOT, findNode, parentOf, preorder, type TreeNode } from './tree';

export const NODE_MIME = 'application/x-pivot-node';

export interface FlowTreeProps {
  tree: TreeNode | undefined;
  name: string;
  numbers: string[];
  patterns: string[];
  numbersError?: string;
  selected: string;
  /** While something is dragged: where it may go. */
  targets?: Set<string>;
  /** The node being moved (its subtree fades). */
  moving?: string;
  over?: string;
  names: (kind: EntityKind, id: string) => string | undefined;
  errors: Map<string, Record<string, string>>;
  onSelect(id: string): void;
  onEdit(id: string): void;
  onRemove(id: string): void;
  onToggleSkip(id: string): void;
  onRelabel(id: string): void;
  onAddNumber(): void;
  onRemoveNumber(n: string): void;
  onOver(id: string | undefined): void;
  onDrop(id: string): void;
  onNodeDragStart(id: string): void;
  onDragEnd(): void;
}

/** A block's name as people read it: its catalog label and its one-line summary. */
export function blockTitle(node: TreeNode, names: FlowTreeProps['names']): { label: string; caption: string } {
  const action = actionFor(node.module, node.data);
  return { label: action.label, caption: action.caption?.(node.data, names) ?? '' };
}

export function FlowTree(props: FlowTreeProps) {
  const { tree, targets, over } = props;
  const refs = useRef(new Map<string, HTMLButtonElement>());
  const focusWanted = useRef<string | undefined>(undefined);
  const order = [ROOT, ...preorder(tree).map((n) => n.id)];
  // One block is always the tree's tab stop, even if the selection went away.
  const selected = order.includes(props.selected) ? props.selected : ROOT;

  useLayoutEffect(() => {
    if (focusWanted.current && focusWanted.current === selected) {
      refs.current.get(selected)?.focus();
      focusWanted.current = undefined;
    }
  });

  const move = (id: string) => {
    focusWanted.current = id;
    props.onSelect(id);
  };

  const onKey = (e: KeyboardEvent, id: string) => {
    const i = order.indexOf(id);
    let to: string | undefined;
    switch (e.key) {
      case 'ArrowDown':
        to = order[Math.min(i + 1, order.length - 1)];
        break;
      case 'ArrowUp':
        to = order[Math.max(i - 1, 0)];
        break;
      case 'Home':
        to = order[0];
        break;
      case 'End':
        to = order[order.length - 1];
        break;
      case 'ArrowLeft':
        to = id === ROOT ? undefined : parentOf(tree, id)?.parentId;
        break;
      case 'ArrowRight':
        to = id === ROOT ? tree?.id : findNode(tree, id)?.children[0]?.node.id;
        break;
      case 'Delete':
      case 'Backspace':
        if (id !== ROOT) {
          e.preventDefault();
          props.onRemove(id);
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    if (to) move(to);
  };

  const dropProps = (id: string) => {
    const ok = !!targets?.has(id);
    return {
      onDragOver: (e: DragEvent) => {
        if (!ok) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = props.moving ? 'move' : 'copy';
        if (over !== id) props.onOver(id);
      },
      onDragLeave: (e: DragEvent) => {
        if (over === id && !(e.currentTarget as Node).contains(e.relatedTarget as Node | null)) props.onOver(undefined);
      },
      onDrop: (e: DragEvent) => {
        if (!ok) return;
        e.preventDefault();
        props.onDrop(id);
      },
    };
  };

  const dropClass = (id: string) =>
    targets ? (targets.has(id) ? ` cf-drop-ok${over === id ? ' cf-drop-over' : ''}` : ' cf-drop-no') : '';

  const setRef = (id: string) => (el: HTMLButtonElement | null) => {
    if (el) refs.current.set(id, el);
    else refs.current.delete(id);
  };

  const renderNode = (node: TreeNode, key: string, parent: TreeNode | undefined, fading: boolean): ReactNode => {
    const { label, caption } = blockTitle(node, props.names);
    const action = actionFor(node.module, node.data);
    const skipped = node.data.skip_module === true;
    const isSelected = selected === node.id;
    const errs = props.errors.get(node.id);
    const faded = fading || props.moving === node.id;
    const keyed = !!parent && !!keyKindOf(parent.module);
    const edge = keyLabel(parent?.module, key, props.names);
    const name = `${label}${caption ? `: ${caption}` : ''}${skipped ? ' (disabled)' : ''}`;
    return (
      <li key={node.id} className="cf-li">
        {parent ? (
          keyed ? (
            <button
              type="button"
              className="cf-edge cf-edge-key"
              tabIndex={isSelected ? 0 : -1}
              aria-label={`Branch “${edge}” of ${blockTitle(parent, props.names).label}: change`}
              title="Change the branch"
              onClick={() => props.onRelabel(node.id)}
            >
              {edge}
            </button>
          ) : (
            <span className="cf-edge">{edge}</span>
          )
        ) : null}
        <div
          className={`cf-block cf-cat-${action.category.toLowerCase()}${isSelected ? ' cf-selected' : ''}${
            skipped ? ' cf-skipped' : ''
          }${errs ? ' cf-invalid' : ''}${faded ? ' cf-moving' : ''}${dropClass(node.id)}`}
          data-node={node.id}
          draggable
          onDragStart={(e) => {
            e.stopPropagation();
            e.dataTransfer.setData(NODE_MIME, node.id);
            e.dataTransfer.setData('text/plain', label);
            e.dataTransfer.effectAllowed = 'move';
            props.onNodeDragStart(node.id);
          }}
          onDragEnd={props.onDragEnd}
          {...dropProps(node.id)}
        >
          <button
            ref={setRef(node.id)}
            type="button"
            className="cf-block-main"
            tabIndex={isSelected ? 0 : -1}
            aria-label={name}
            aria-current={isSelected ? 'true' : undefined}
            onFocus={() => props.onSelect(node.id)}
            onClick={() => {
              props.onSelect(node.id);
              props.onEdit(node.id);
            }}
            onKeyDown={(e) => onKey(e, node.id)}
          >
            <span className="cf-icon" aria-hidden>
              {action.icon}
            </span>
            <span className="cf-block-text">
              <span className="cf-block-label">{label}</span>
              {caption ? <span className="cf-block-caption">{caption}</span> : null}
              {skipped ? <span className="badge">disabled</span> : null}
            </span>
          </button>
          <div className="cf-block-tools">
            <button
              type="button"
              className="icon-btn"
              tabIndex={isSelected ? 0 : -1}
              aria-pressed={skipped}
              aria-label={`Disable ${label}`}
              title={skipped ? 'Enable this block' : 'Disable this block (calls skip it)'}
              onClick={() => props.onToggleSkip(node.id)}
            >
              <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden focusable="false">
                <path
                  d="M8 1.5v6M4.5 3.6a5.5 5.5 0 1 0 7 0"
                  fill="none"
                  stroke="currentColor"
                  strokeWidth="1.8"
                  strokeLinecap="round"
                />
              </svg>
            </button>
            <button
              type="button"
              className="icon-btn"
              tabIndex={isSelected ? 0 : -1}
              aria-label={`Remove ${label}`}
              title="Remove this block and the blocks under it"
              onClick={() => props.onRemove(node.id)}
            >
              ✕
            </button>
          </div>
          {errs ? (
            <div className="cf-block-error" role="note">
              {Object.entries(errs)
                .map(([k, m]) => (k ? `${k}: ${m}` : m))
                .join('; ')}
            </div>
          ) : null}
        </div>
        {node.children.length ? <ul>{node.children.map((c) => renderNode(c.node, c.key, node, faded))}</ul> : null}
      </li>
    );
  };

  const rootSelected = selected === ROOT;
  return (
    <div className="cf-tree">
      <ul>
        <li className="cf-li">
          <div
            className={`cf-block cf-root${rootSelected ? ' cf-selected' : ''}${dropClass(ROOT)}`}
            {...dropProps(ROOT)}
          >
            <button
              ref={setRef(ROOT)}
              type="button"
              className="cf-block-main"
              tabIndex={rootSelected ? 0 : -1}
              aria-label={`Start: ${props.name || 'unnamed callflow'}, ${
                props.numbers.length ? props.numbers.join(', ') : 'no number yet'
              }`}
              aria-current={rootSelected ? 'true' : undefined}
              onFocus={() => props.onSelect(ROOT)}
              onClick={() => props.onSelect(ROOT)}
              onKeyDown={(e) => onKey(e, ROOT)}
            >
              <span className="cf-icon" aria-hidden>
                ☎
              </span>
              <span className="cf-block-text">
                <span className="cf-block-label">{props.name || 'Unnamed callflow'}</span>
                <span className="cf-block-caption">Calls to these numbers start here</span>
              </span>
            </button>
            <ul className="cf-numbers" aria-label="Numbers">
              {props.numbers.map((n) => (
                <li key={n} className="cf-number">
                  <span className="mono">{n}</span>
                  <button
                    type="button"
                    className="cf-chip-x"
                    aria-label={`Remove number ${n}`}
                    onClick={() => props.onRemoveNumber(n)}
                  >
                    ✕
                  </button>
                </li>
              ))}
              {props.patterns.map((p) => (
                <li key={`p:${p}`} className="cf-number cf-pattern" title="A pattern (edit it with the API)">
                  <span className="mono">/{p}/</span>
                </li>
              ))}
            </ul>
            <button type="button" className="btn cf-addnumber" onClick={props.onAddNumber}>
              + Add number
            </button>
            {props.numbersError ? (
              <div className="field-error" role="alert">
                {props.numbersError}
              </div>
            ) : null}
          </div>
          {tree ? (
            <ul>{renderNode(tree, '_', undefined, false)}</ul>
          ) : (
            <ul>
              <li className="cf-li">
                <div className={`cf-empty-slot${dropClass(ROOT)}`} {...dropProps(ROOT)}>
                  Drag an action here to start the flow, or press Enter on an action in the catalog.
                </div>
              </li>
            </ul>
          )}
        </li>
      </ul>
    </div>
  );
}
