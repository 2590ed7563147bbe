// The Pivot service the callflow executor is given as `services.pivot`.

import type { PivotService } from '../callflow/types.js';
import { PivotSession, type PivotDeps } from './session.js';

export function createPivotService(deps: PivotDeps): PivotService {
  return { run: (call, config) => new PivotSession(deps, call, config).run() };
}
