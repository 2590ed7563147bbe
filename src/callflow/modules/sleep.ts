// Pauses the callflow for `duration` `unit`s (Kazoo caps it at one day), then continues to `_`.

import { next, stop, type CallflowModule } from '../types.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const ONE_DAY_MS = 86_400_000;

interface SleepData {
  duration: number;
  unit: keyof typeof UNIT_MS;
}

export const sleep: CallflowModule<SleepData> = {
  name: 'sleep',
  description: 'Wait for a while before continuing.',
  schema: {
    type: 'object',
    properties: {
      duration: { type: 'integer', minimum: 0, maximum: ONE_DAY_MS, default: 0 },
      unit: { type: 'string', enum: Object.keys(UNIT_MS), default: 's' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data }) {
    const ms = Math.min(data.duration * UNIT_MS[data.unit], ONE_DAY_MS);
    const waited = await call.wait(ms);
    return waited === 'hangup' ? stop : next();
  },
};
