// The catalog panel: the actions a flow can use, grouped Basic and Advanced, with a search box and a short help for
// each. An action is dragged onto a block of the flow, or (keyboard, touch) activated: it is then added under the
// selected block, or the editor asks where to put it.

import { useId, useState, type DragEvent } from 'react';
import { searchCatalog, type ActionDef } from './catalog';

export const ACTION_MIME = 'application/x-pivot-action';

export function Catalog({
  target,
  onActivate,
  onDragStart,
  onDragEnd,
}: {
  /** The selected block new actions go under, as words ("under “Menu”"), or undefined. */
  target?: string;
  onActivate(action: ActionDef): void;
  onDragStart(action: ActionDef): void;
  onDragEnd(): void;
}) {
  const [query, setQuery] = useState('');
  const groups = searchCatalog(query);
  const hintId = useId();
  const searchId = useId();

  const dragStart = (e: DragEvent, action: ActionDef) => {
    e.dataTransfer.setData(ACTION_MIME, action.id);
    e.dataTransfer.setData('text/plain', action.label);
    e.dataTransfer.effectAllowed = 'copy';
    onDragStart(action);
  };

  return (
    <aside className="cf-catalog" aria-label="Actions">
      <h2>Actions</h2>
      <label htmlFor={searchId} className="sr-only">
        Search actions
      </label>
      <input
        id={searchId}
        type="search"
        className="cf-catalog-search"
        placeholder="Search actions"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      <p className="hint cf-catalog-hint" id={hintId} aria-live="polite">
        Drag an action onto a block of the flow.{' '}
        {target ? (
          <>
            Or press Enter on an action to add it <strong>{target}</strong>.
          </>
        ) : (
          'Or select a block, then press Enter on an action to add it under that block.'
        )}
      </p>
      {groups.length === 0 ? <p className="muted">No action matches “{query}”.</p> : null}
      {groups.map((g) => (
        <details key={g.category} className="cf-group" open>
          <summary>
            {g.category} <span className="muted">({g.actions.length})</span>
          </summary>
          <ul>
            {g.actions.map((a) => (
              <li key={a.id}>
                <button
                  type="button"
                  className="cf-action"
                  draggable
                  aria-label={a.label}
                  aria-describedby={`${hintId}-${a.id}`}
                  onDragStart={(e) => dragStart(e, a)}
                  onDragEnd={onDragEnd}
                  onClick={() => onActivate(a)}
                >
                  <span className={`cf-icon cf-icon-${a.category.toLowerCase()}`} aria-hidden>
                    {a.icon}
                  </span>
                  <span className="cf-action-text">
                    <span className="cf-action-label">{a.label}</span>
                    <span className="cf-action-help" id={`${hintId}-${a.id}`}>
                      {a.help}
                    </span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </details>
      ))}
    </aside>
  );
}
