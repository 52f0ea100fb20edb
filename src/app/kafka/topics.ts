/**
 * The topics of DESIGN §3 as `topics create` makes them, from the configuration: partitions
 * from `topics.*.partitions`, compaction for the tables (subscriptions, templates). Changelog
 * topics are not listed: the runtime creates them on start, with the partition count of the
 * sub-topology that owns the store.
 */
import type { TopicSpec } from '../../streams/index.js';
import type { NotifyConfig } from '../../notify/index.js';

/** What one topic is for, shown by `topics create`. */
export interface AppTopic extends TopicSpec {
  readonly role: string;
}

/** Every topic the application reads or writes, in a stable order. */
export function appTopics(config: NotifyConfig, replicationFactor = 1): AppTopic[] {
  const t = config.topics;
  const compacted = { 'cleanup.policy': 'compact' };
  const spec = (role: string, topic: { name: string; partitions: number }, extra: Record<string, string> = {}): AppTopic => ({
    role,
    name: topic.name,
    partitions: topic.partitions,
    replicationFactor,
    config: extra,
  });
  const topics: AppTopic[] = [
    spec('requests (input)', t.requests),
    spec('commands (input)', t.commands),
    spec('subscriptions (table, compacted)', t.subscriptions, compacted),
    spec('templates (global table, compacted)', t.templates, compacted),
    spec('lane critical (internal)', t.lanes.critical),
    spec('lane normal (internal)', t.lanes.normal),
    spec('lane bulk (internal)', t.lanes.bulk),
    spec('feedback (output)', t.feedback),
    spec('billing (output)', t.billing),
    spec('dead letters (output)', t.dlq),
    spec('delivery reports (input)', t.deliveryReports),
  ];
  return topics;
}
