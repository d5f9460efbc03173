// Worker entry: plain JavaScript so that it loads in any parent (tsx, vitest, plain node), then
// registers tsx to load the TypeScript writer itself.
import { register } from 'tsx/esm/api';

register();
await import('./sqlite-writer.ts');
