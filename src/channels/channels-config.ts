/**
 * The channels section of the topology config: named provider pools per channel and routing
 * rules (DESIGN F18) that pick a pool by channel, category, push platform and tags. Parsing
 * applies defaults and fails with a message that names the bad key.
 */
import { z } from 'zod';
import { ChannelError } from './channel-error.js';
import { PROVIDER_CHANNEL, ProviderConfigSchema } from './provider-config.js';
import { CHANNELS } from './types.js';

const ChannelSchema = z.enum(CHANNELS as ['SMS', 'PUSH', 'WECHAT', 'EMAIL', 'WEBHOOK']);
const CategorySchema = z.enum(['VERIFICATION', 'NOTIFICATION', 'MARKETING']);

/** An ordered list of providers for one channel: the first is the primary line. */
export const PoolConfigSchema = z.strictObject({
  channel: ChannelSchema,
  providers: z.array(ProviderConfigSchema).min(1),
});

/** A routing rule: every given field must match; the first matching rule wins. */
export const RouteConfigSchema = z.strictObject({
  match: z
    .strictObject({
      channel: ChannelSchema.optional(),
      category: CategorySchema.optional(),
      pushPlatform: z.string().min(1).optional(),
      /** Every listed tag must be present with this exact value (e.g. `env: gray`). */
      tags: z.record(z.string(), z.string()).optional(),
    })
    .prefault({}),
  pool: z.string().min(1),
});

/**
 * Pools by name plus routes. A message no route matches goes to the first pool declared for its
 * channel (YAML maps keep their order).
 */
export const ChannelsConfigSchema = z
  .strictObject({
    pools: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), PoolConfigSchema),
    routes: z.array(RouteConfigSchema).default([]),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    for (const [poolName, pool] of Object.entries(config.pools)) {
      pool.providers.forEach((provider, index) => {
        const path = ['pools', poolName, 'providers', index];
        if (seen.has(provider.name)) {
          ctx.addIssue({ code: 'custom', path: [...path, 'name'], message: `provider name "${provider.name}" is used twice; names must be unique` });
        }
        seen.add(provider.name);
        const serves = PROVIDER_CHANNEL[provider.type];
        if (serves !== 'ANY' && serves !== pool.channel) {
          ctx.addIssue({ code: 'custom', path: [...path, 'type'], message: `a ${provider.type} provider serves ${serves}, not ${pool.channel}` });
        }
      });
    }
    config.routes.forEach((route, index) => {
      const pool = config.pools[route.pool];
      if (!pool) {
        ctx.addIssue({ code: 'custom', path: ['routes', index, 'pool'], message: `no pool named "${route.pool}"` });
      } else if (route.match.channel && route.match.channel !== pool.channel) {
        ctx.addIssue({ code: 'custom', path: ['routes', index, 'pool'], message: `pool "${route.pool}" serves ${pool.channel}, not ${route.match.channel}` });
      }
    });
  });

/** Config as written (defaults optional). */
export type ChannelsConfigInput = z.input<typeof ChannelsConfigSchema>;
/** Config after parsing (defaults applied). */
export type ChannelsConfig = z.output<typeof ChannelsConfigSchema>;
export type PoolConfig = z.output<typeof PoolConfigSchema>;
export type RouteConfig = z.output<typeof RouteConfigSchema>;

/**
 * Validates and applies defaults. Throws `ChannelError('CONFIG_INVALID')` listing each problem as
 * `<keyPrefix>.<path>: <message>`, e.g. `channels.pools.sms.providers[0].password: ...`.
 */
export function parseChannelsConfig(input: unknown, keyPrefix = 'channels'): ChannelsConfig {
  const parsed = ChannelsConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const key = issue.path.reduce<string>(
      (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`),
      keyPrefix,
    );
    return `${key}: ${issue.message}`;
  });
  throw new ChannelError('CONFIG_INVALID', `invalid channel config:\n  ${lines.join('\n  ')}`);
}
