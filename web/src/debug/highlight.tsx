// A body with line numbers and syntax highlighting (tokens from format.ts), the line of a parse error marked with its
// column.

import type { ReactNode } from 'react';
import { lines, tokenize, type Lang } from './format';

/**
 * A body with line numbers and highlighting. `mark` (1-based line and column, with a message) marks the line a
 * parser stopped at; marks only make sense on the body as received, so callers show it raw then.
 */
export function CodeView({
  text,
  lang,
  mark,
  label,
}: {
  text: string;
  lang: Lang;
  mark?: { line: number; column?: number; message?: string };
  label: string;
}) {
  const rows = lines(tokenize(text, lang));
  const width = String(rows.length).length;
  return (
    <pre className={`code code-${lang}`} aria-label={label} tabIndex={0}>
      <code>
        {rows.map((row, i) => {
          const n = i + 1;
          const marked = mark?.line === n;
          const content: ReactNode[] = row.map((t, k) =>
            t.cls ? (
              <span key={k} className={t.cls}>
                {t.text}
              </span>
            ) : (
              t.text
            ),
          );
          return (
            <span key={i} className={`code-line${marked ? ' code-line-error' : ''}`}>
              <span className="code-ln" aria-hidden="true">
                {String(n).padStart(width, ' ')}
              </span>
              {content}
              {'\n'}
              {marked ? (
                <span className="code-note" role="note">
                  <span className="code-ln" aria-hidden="true">
                    {' '.repeat(width)}
                  </span>
                  {mark?.column ? `${' '.repeat(Math.max(0, mark.column - 1))}^ ` : '^ '}
                  {`line ${n}${mark?.column ? `, column ${mark.column}` : ''}${mark?.message ? `: ${mark.message}` : ''}`}
                  {'\n'}
                </span>
              ) : null}
            </span>
          );
        })}
      </code>
    </pre>
  );
}
