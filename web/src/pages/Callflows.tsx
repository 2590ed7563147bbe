// Placeholder until the page lands (issue 7).
import { PageHeader } from '../components/ui';

export function CallflowsPage({ id }: { id?: string }) {
  return <PageHeader title="Callflows" subtitle={id} />;
}
