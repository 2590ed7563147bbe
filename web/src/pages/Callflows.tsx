// Callflows: the account's list (`/callflows`) and the drag-and-drop editor (`/callflows/:id`, `/callflows/new`).
// The editor and its parts live in ../callflow/.

import { CallflowList } from '../callflow/CallflowList';
import { CallflowEditor } from '../callflow/Editor';
import { useLocation } from '../router';

export function CallflowsPage({ id }: { id?: string }) {
  const { query } = useLocation();
  if (!id) return <CallflowList />;
  // A new editor for each "new" (Save and Create / Duplicate open /callflows/new?draft=…), and for each callflow.
  const key = `${id}:${query.get('draft') ?? ''}`;
  return <CallflowEditor key={key} id={id === 'new' ? undefined : id} />;
}
