/**
 * The notification domain: the topology's operators, its configuration, the schema types and
 * the pure rules they use. Build the topology with `buildNotifyTopology(loadConfig(), { sender })`.
 */
export { buildNotifyTopology, NODE_NAMES, type NotifyTopologyDeps } from './topology.js';
export type { ChannelSender, OutboundMessage, SendResult } from './channel-sender.js';
export { toDeliveryReport } from './delivery-report.js';
export { loadConfig, parseConfigText, validateConfig, ConfigError, DEFAULT_CONFIG_FILE, type NotifyConfig, type LoadConfigOptions } from './config/index.js';
export {
  checkRequestLimits,
  checkContentLimits,
  DEFAULT_REQUEST_LIMITS,
  type RequestLimits,
  type LimitViolation,
} from './domain/request-limits.js';
export { STORE_NAMES } from './operators/store-names.js';
export { TERMINAL_STATUSES } from './operators/feedback.js';
export { loadSchemaCatalog, defaultSchemaDir, type SchemaCatalog } from './schemas/schema-catalog.js';
export type * from './generated/schema-types.js';
export {
  CATEGORY_SYMBOLS,
  CHANNEL_SYMBOLS,
  FEEDBACK_STATUS_SYMBOLS,
  PRIORITY_SYMBOLS,
  LANE_SYMBOLS,
  SCHEMA_NAMES,
  FEEDBACK_SUBJECT_SYMBOLS,
  DELIVERY_REPORT_STATUS_SYMBOLS,
} from './generated/schema-types.js';
