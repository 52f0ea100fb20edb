/**
 * Which lane a request travels on (F4): an explicit priority wins, otherwise the category
 * decides. The configuration guarantees every category and priority is in exactly one lane.
 */
import type { Category, Lane, Priority } from '../generated/schema-types.js';

/** Lane names as they appear in configuration. */
export type LaneKey = 'critical' | 'normal' | 'bulk';

/** The lane enum for a config lane key. */
export const LANE_OF_KEY: Readonly<Record<LaneKey, Lane>> = { critical: 'CRITICAL', normal: 'NORMAL', bulk: 'BULK' };

/** Maps categories and priorities to lanes. */
export class LaneRouter {
  private readonly byCategory = new Map<Category, Lane>();
  private readonly byPriority = new Map<Priority, Lane>();

  constructor(lanes: Readonly<Record<LaneKey, { readonly categories: readonly Category[]; readonly priorities: readonly Priority[] }>>) {
    for (const key of Object.keys(lanes) as LaneKey[]) {
      for (const c of lanes[key].categories) this.byCategory.set(c, LANE_OF_KEY[key]);
      for (const p of lanes[key].priorities) this.byPriority.set(p, LANE_OF_KEY[key]);
    }
  }

  laneFor(category: Category, priority?: Priority | null): Lane {
    return (priority ? this.byPriority.get(priority) : undefined) ?? this.byCategory.get(category) ?? 'NORMAL';
  }
}
