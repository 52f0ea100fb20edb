import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig, parseConfigText, validateConfig } from '../../../../src/notify/config/index.js';

const defaultDoc = (): Record<string, unknown> => parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as Record<string, unknown>;

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads the default file with durations in milliseconds', () => {
    const config = loadConfig({ env: {} });
    expect(config.kafka.bootstrapServers).toBe('127.0.0.1:9092');
    expect(config.kafka.commitInterval).toBe(100);
    expect(config.kafka.processingGuarantee).toBe('exactly_once_v2');
    expect(config.kafka.producerConfig).toEqual({});
    expect(config.dedupe.retention).toBe(24 * 3_600_000);
    expect(config.billing.window).toBe(3_600_000);
    expect(config.lanes.critical.weight).toBe(4);
    expect(config.retry.VERIFICATION.validity).toBe(30_000);
    expect(config.fatigue.rules.find((r) => r.name === 'verification-anti-abuse')?.categories).toEqual(['VERIFICATION']);
    expect(config.channels.pools['sms']?.providers[0]).toMatchObject({ name: 'sms-log', type: 'log' });
  });

  it('applies NOTIFY_ environment overrides with natural types', () => {
    const config = loadConfig({
      env: {
        NOTIFY_KAFKA__BOOTSTRAP_SERVERS: 'broker:9093',
        NOTIFY_FATIGUE__RULES__0__CAP: '3',
        NOTIFY_LOGGING__LEVEL: 'debug',
        NOTIFY_RETRY__VERIFICATION__MAX_ATTEMPTS: '3',
        NOTIFY_TOKEN_SHOP: 'secret-is-not-an-override',
      },
    });
    expect(config.kafka.bootstrapServers).toBe('broker:9093');
    expect(config.fatigue.rules[0]?.cap).toBe(3);
    expect(config.logging.level).toBe('debug');
    expect(config.retry.VERIFICATION.maxAttempts).toBe(3);
  });

  it('names the key path and the overriding variable of a bad duration', () => {
    const e = errorOf(() => loadConfig({ env: { NOTIFY_FATIGUE__RULES__2__WINDOW: 'soon' } }));
    expect(e.message).toContain('fatigue.rules[2].window: expected a duration like 24h or 7d');
    expect(e.message).toContain('NOTIFY_FATIGUE__RULES__2__WINDOW');
    expect(e.key).toBe('fatigue.rules[2].window');
    expect(e.code).toBe('CONFIG_INVALID');
  });

  it('names the file and rejects a misspelt key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'notify-config-'));
    const file = join(dir, 'bad.yaml');
    const doc = defaultDoc();
    (doc['dedupe'] as Record<string, unknown>)['retension'] = '1h';
    writeFileSync(file, stringify(doc));
    const e = errorOf(() => loadConfig({ file, env: {} }));
    expect(e.message).toMatch(/^dedupe\.retension: unknown key/);
    expect(e.message).toContain(file);
  });

  it('reports a missing section, a bad enum and an unreadable file', () => {
    const doc = defaultDoc();
    delete doc['kafka'];
    (doc['lanes'] as { bulk: { categories: string[] } }).bulk.categories = ['PROMO'];
    const e = errorOf(() => validateConfig(doc));
    const keys = e.problems.map((p) => p.key);
    expect(keys).toContain('kafka');
    expect(keys).toContain('lanes.bulk.categories[0]');
    expect(errorOf(() => loadConfig({ file: '/nonexistent.yaml', env: {} })).message).toContain('cannot read the file');
  });

  it('rejects invalid YAML and a non-mapping document', () => {
    expect(errorOf(() => parseConfigText('kafka: [unclosed')).message).toContain('not valid YAML');
    expect(errorOf(() => parseConfigText('- a\n- b')).message).toContain('expected a mapping');
  });

  it('checks cross-field rules: lane coverage, pools, co-partitioning, time zones, rule names', () => {
    const doc = defaultDoc();
    (doc['lanes'] as { normal: { categories: string[] } }).normal.categories = ['NOTIFICATION', 'MARKETING'];
    (doc['channels'] as { routes: { pool: string }[] }).routes[0]!.pool = 'nope';
    (doc['topics'] as { commands: { partitions: number } }).commands.partitions = 3;
    (doc['quietHours'] as { defaultTimeZone: string }).defaultTimeZone = 'Mars/Olympus';
    const rules = (doc['fatigue'] as { rules: { name: string }[] }).rules;
    rules[1]!.name = rules[0]!.name;
    const messages = errorOf(() => validateConfig(doc)).problems.map((p) => `${p.key}: ${p.message}`);
    expect(messages).toContainEqual(expect.stringContaining('categories: MARKETING is in more than one lane'));
    expect(messages).toContainEqual(expect.stringContaining('channels.routes[0].pool: no pool named "nope"'));
    expect(messages).toContainEqual(expect.stringContaining('topics.commands.partitions: must equal topics.requests.partitions'));
    expect(messages).toContainEqual(expect.stringContaining('quietHours.defaultTimeZone: expected an IANA time zone'));
    expect(messages).toContainEqual(expect.stringContaining('fatigue.rules[1].name: duplicate rule name'));
  });

  it('validates the channels section with the channels package schema and requires a pool per channel', () => {
    const doc = defaultDoc();
    const pools = (doc['channels'] as { pools: Record<string, { providers: Record<string, unknown>[] }> }).pools;
    pools['sms']!.providers[0]!['colour'] = 'blue';
    delete pools['email'];
    const keys = errorOf(() => validateConfig(doc)).problems.map((p) => `${p.key}: ${p.message}`);
    expect(keys).toContainEqual(expect.stringContaining('channels.pools.sms.providers[0].colour: unknown key'));
    expect(keys).toContainEqual(expect.stringContaining('channels.pools: no pool serves channel EMAIL'));
  });
});
