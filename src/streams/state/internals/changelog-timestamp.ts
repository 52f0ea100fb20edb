import type { StateStoreContext } from '../state-store.js';

/**
 * The timestamp of a changelog record written now: the task's stream time, or the wall clock
 * before the task has seen a record (stream time is negative then, and a broker would read a
 * negative timestamp as "unset").
 */
export function changelogTimestamp(context: StateStoreContext): number {
  const streamTime = context.currentStreamTimeMs();
  return streamTime >= 0 ? streamTime : Date.now();
}
