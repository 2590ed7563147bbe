// Live Debug (issue 7 item 3): `/debug` lists recent calls that made Pivot requests, live; `/debug/:callId` shows one
// call's requests, responses, errors and executed verbs (the softphone opens it beside a call). Parts in ../debug/.

import { CallDetails } from '../debug/CallDetails';
import { CallList } from '../debug/CallList';
import '../debug/live-debug.css';

export function LiveDebugPage({ callId }: { callId?: string }) {
  return callId ? <CallDetails key={callId} callId={callId} /> : <CallList />;
}
