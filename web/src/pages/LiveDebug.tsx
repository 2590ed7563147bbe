// Placeholder until the page lands (issue 7).
import { PageHeader } from '../components/ui';

export function LiveDebugPage({ callId }: { callId?: string }) {
  return <PageHeader title="Live Debug" subtitle={callId} />;
}
