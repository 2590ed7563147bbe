// Media worker bootstrap: TypeScript runs through tsx, which each thread registers for itself.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
