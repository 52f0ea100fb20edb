/**
 * Configuration of the notification topology: the YAML schema, the loader with environment
 * overrides, and the error that names the bad key.
 */
export { loadConfig, parseConfigText, validateConfig, DEFAULT_CONFIG_FILE, type LoadConfigOptions } from './load-config.js';
export { ConfigError, formatKeyPath, type ConfigProblem } from './config-error.js';
export {
  notifyConfigSchema,
  type NotifyConfig,
  type FatigueRuleConfig,
  type QuietHoursRuleConfig,
  type RetryPolicyConfig,
  type TemplateConfig,
  type LaneConfig,
} from './config-schema.js';
export { parseDuration, formatDuration } from './duration.js';
export { applyEnvOverrides, type AppliedOverride } from './env-overrides.js';
