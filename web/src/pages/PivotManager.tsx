// Placeholder until the page lands (issue 7).
import { PageHeader } from '../components/ui';

export function PivotManagerPage() {
  return <PageHeader title="PivotManager" />;
}
