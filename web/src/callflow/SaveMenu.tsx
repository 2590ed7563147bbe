// The editor's Save button: a menu button (WAI-ARIA menu pattern) with Save Changes, Save and Duplicate, Save and
// Create, and Cancel. Enter, Space or ArrowDown opens it on the first item, ArrowUp on the last; arrows, Home and
// End move; Escape or Tab closes it and focus returns to the button.

import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { Spinner } from '../components/ui';

export interface SaveMenuItem {
  label: string;
  hint: string;
  run(): void;
  danger?: boolean;
}

export function SaveMenu({ items, busy, dirty }: { items: SaveMenuItem[]; busy: boolean; dirty: boolean }) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const button = useRef<HTMLButtonElement>(null);
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const wrap = useRef<HTMLDivElement>(null);
  const menuId = useId();

  // Focus follows the active item as soon as it renders (before the next key arrives).
  useLayoutEffect(() => {
    if (open) refs.current[active]?.focus();
  }, [open, active]);

  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);

  const openAt = (i: number) => {
    setActive(i);
    setOpen(true);
  };
  const close = (focus = true) => {
    setOpen(false);
    if (focus) button.current?.focus();
  };

  const onMenuKey = (e: KeyboardEvent) => {
    const n = items.length;
    const moves: Record<string, number> = {
      ArrowDown: (active + 1) % n,
      ArrowUp: (active - 1 + n) % n,
      Home: 0,
      End: n - 1,
    };
    if (e.key in moves) {
      e.preventDefault();
      setActive(moves[e.key]);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (e.key === 'Tab') {
      close(false);
    }
  };

  const onButtonKey = (e: KeyboardEvent) => {
    // Keys typed before focus reached the open menu still move in it.
    if (open) {
      onMenuKey(e);
      return;
    }
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      openAt(0);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      openAt(items.length - 1);
    }
  };

  return (
    <div className="cf-savemenu" ref={wrap}>
      <button
        ref={button}
        type="button"
        className={`btn btn-primary${dirty ? ' cf-pulse' : ''}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        disabled={busy}
        onClick={() => (open ? close() : openAt(0))}
        onKeyDown={onButtonKey}
      >
        {busy ? <Spinner small label="Saving" /> : null}
        Save <span aria-hidden>▾</span>
      </button>
      {open ? (
        <div className="cf-menu" role="menu" id={menuId} aria-label="Save" onKeyDown={onMenuKey}>
          {items.map((item, i) => (
            <button
              key={item.label}
              ref={(el) => {
                refs.current[i] = el;
              }}
              type="button"
              role="menuitem"
              aria-label={item.label}
              aria-describedby={`${menuId}-${i}`}
              tabIndex={i === active ? 0 : -1}
              className={`cf-menuitem${item.danger ? ' cf-menuitem-danger' : ''}`}
              onMouseEnter={() => setActive(i)}
              onClick={() => {
                close();
                item.run();
              }}
            >
              <span>{item.label}</span>
              <span className="cf-menuhint" id={`${menuId}-${i}`}>
                {item.hint}
              </span>
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
