import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseChannelsConfig } from '../../../src/channels/index.js';

describe('the documented YAML example', () => {
  it('is a valid channels config', () => {
    const readme = readFileSync(new URL('../../../src/channels/README.md', import.meta.url), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const config = parseChannelsConfig((parse(block ?? '') as { channels: unknown }).channels);
    expect(Object.keys(config.pools)).toEqual(['sms-main', 'sms-codes', 'sms-gray', 'push', 'wechat', 'email', 'webhook']);
    expect(config.pools['sms-main']?.providers[0]).toMatchObject({ type: 'smpp', rateLimit: { perSecond: 200 } });
    expect(config.routes.map((r) => r.pool)).toEqual(['sms-gray', 'sms-codes']);
  });
});
