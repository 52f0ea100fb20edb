import type { StateStore } from './state-store.js';

/**
 * Builds one store instance per task. The topology keeps builders, the runtime calls `build()`
 * when it creates a task and then `init` on the result.
 */
export interface StoreBuilder<S extends StateStore = StateStore> {
  readonly name: string;
  readonly loggingEnabled: boolean;
  /** Extra topic configs for the changelog (e.g. retention for window stores). */
  readonly changelogConfig: Readonly<Record<string, string>>;
  build(): S;
}
