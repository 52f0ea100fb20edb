import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { GENERATED_PATH, generateSchemaTypes } from '../../../tools/codegen/gen-types.js';
import { loadSchemaCatalog } from '../../../src/notify/schemas/schema-catalog.js';

describe('schemas and generated types', () => {
  const catalog = loadSchemaCatalog();

  it('the committed schema-types.ts is what the generator writes (run: npx tsx tools/codegen/gen-types.ts)', () => {
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(generateSchemaTypes(catalog));
  });

  it('every schema is in namespace notify.v1 and parses with avsc', () => {
    for (const name of catalog.names()) {
      expect(name.startsWith('notify.v1.')).toBe(true);
      expect(catalog.type(name)).toBeDefined();
    }
  });

  it('expanded schemas are self-contained and keep logical types and defaults', () => {
    const text = JSON.stringify(catalog.expandedSchema('notify.v1.LaneRecord'));
    expect(text).toContain('"logicalType":"timestamp-millis"');
    expect(text).toContain('"name":"NotificationRequest"');
    // Each named type is defined once per expanded schema (Avro forbids redefinition).
    expect(text.match(/"name":"Recipient"/g)).toHaveLength(1);
  });

  it('round-trips a request and fills defaults for optional fields', () => {
    const type = catalog.type('notify.v1.NotificationRequest');
    const buf = type.toBuffer({
      messageId: 'm1',
      businessUnit: 'shop',
      scenario: 'order-shipped',
      category: 'NOTIFICATION',
      channel: 'SMS',
      recipient: { userId: 'u1', phone: '+8613800138000' },
      templateId: 't1',
      createdAt: 1_700_000_000_000,
    });
    const back = type.fromBuffer(buf) as Record<string, unknown>;
    expect(back['sendAt']).toBeNull();
    expect(back['tags']).toEqual({});
    expect(back['locale']).toBe('zh-CN');
  });

  it('a reader with the newer schema reads data written without the optional fields (evolution)', () => {
    const reader = catalog.type('notify.v1.RevokeCommand');
    const writer = avsc.Type.forSchema({
      type: 'record',
      name: 'RevokeCommand',
      namespace: 'notify.v1',
      fields: [
        { name: 'messageId', type: 'string' },
        { name: 'userId', type: 'string' },
        { name: 'issuedAt', type: 'long' },
      ],
    });
    const resolver = reader.createResolver(writer);
    const value = reader.fromBuffer(writer.toBuffer({ messageId: 'm', userId: 'u', issuedAt: 1 }), resolver) as Record<string, unknown>;
    expect(value['reason']).toBeNull();
    expect(value['messageId']).toBe('m');
  });
});
