import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { StreamsConfigError } from '../../../../src/streams/errors.js';
import { parsingCanonicalForm } from '../../../../src/streams/serde/canonical-form.js';
import { rabinFingerprint64 } from '../../../../src/streams/serde/rabin-fingerprint.js';

// [input schema text, canonical form, Java fingerprint or null when the source lists none].
// From the Avro project's shared test data (share/test/data/schema-tests.txt).
const VECTORS: ReadonlyArray<readonly [string, string, bigint | null]> = [
  ['"null"', '"null"', 7195948357588979594n],
  ['{"type":"null"}', '"null"', null],
  ['{"type":"boolean"}', '"boolean"', null],
  ['{"type":"int"}', '"int"', null],
  ['{"type":"string"}', '"string"', null],
  ['[  ]', '[]', -1241056759729112623n],
  ['[ "int"  ]', '["int"]', -5232228896498058493n],
  ['[ "int" , {"type":"boolean"} ]', '["int","boolean"]', 5392556393470105090n],
  ['{"fields":[], "type":"record", "name":"foo"}', '{"name":"foo","type":"record","fields":[]}', -4824392279771201922n],
  [
    '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}',
    '{"name":"x.y.foo","type":"record","fields":[]}',
    5916914534497305771n,
  ],
  [
    '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}',
    '{"name":"a.b.foo","type":"record","fields":[]}',
    -4616218487480524110n,
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}',
    '{"name":"foo","type":"record","fields":[]}',
    -4824392279771201922n,
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}',
    '{"name":"foo","type":"record","fields":[]}',
    -4824392279771201922n,
  ],
  [
    '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
    7843277075252814651n,
  ],
  [
    '{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":"true"}, {"order":"descending","name":"f2","doc":"Hello","type":"int"}], "type":"record", "name":"foo" }',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    -4860222112080293046n,
  ],
  ['{"type":"enum", "name":"foo", "symbols":["A1"]}', '{"name":"foo","type":"enum","symbols":["A1"]}', -6342190197741309591n],
  [
    '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    -4448647247586288245n,
  ],
  ['{"name":"foo","type":"fixed","size":15}', '{"name":"foo","type":"fixed","size":15}', 1756455273707447556n],
  [
    '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
    '{"name":"x.y.z.foo","type":"fixed","size":32}',
    -3064184465700546786n,
  ],
  ['{ "items":{"type":"null"}, "type":"array"}', '{"type":"array","items":"null"}', -589620603366471059n],
  ['{ "values":"string", "type":"map"}', '{"type":"map","values":"string"}', -8732877298790414990n],
  [
    '{"name":"PigValue","type":"record", "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    -1759257747318642341n,
  ],
];

describe('parsingCanonicalForm', () => {
  it.each(VECTORS)('%s', (input, canonical, fingerprint) => {
    const form = parsingCanonicalForm(JSON.parse(input));
    expect(form).toBe(canonical);
    if (fingerprint !== null) expect(BigInt.asIntN(64, rabinFingerprint64(form))).toBe(fingerprint);
  });

  it('strips logical types and writes later uses of a name by full name', () => {
    const schema = {
      type: 'record',
      name: 'Outer',
      namespace: 'n.s',
      fields: [
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'a', type: { type: 'fixed', name: 'Id', size: 4, namespace: 'other' } },
        { name: 'b', type: 'other.Id' },
        { name: 'c', type: { type: 'enum', name: 'E', symbols: ['X'], default: 'X' } },
        { name: 'd', type: { type: 'array', items: 'E' } },
      ],
    };
    expect(parsingCanonicalForm(schema)).toBe(
      '{"name":"n.s.Outer","type":"record","fields":[{"name":"at","type":"long"},' +
        '{"name":"a","type":{"name":"other.Id","type":"fixed","size":4}},{"name":"b","type":"other.Id"},' +
        '{"name":"c","type":{"name":"n.s.E","type":"enum","symbols":["X"]}},' +
        '{"name":"d","type":{"type":"array","items":"n.s.E"}}]}',
    );
  });

  it('agrees with the schema avsc derives for a parsed type', () => {
    const schema = {
      type: 'record',
      name: 'R',
      namespace: 'a.b',
      fields: [
        { name: 'x', type: ['null', { type: 'record', name: 'S', fields: [{ name: 'y', type: 'bytes' }] }], default: null },
        { name: 'z', type: { type: 'map', values: 'S' } },
      ],
    };
    const type = avsc.Type.forSchema(schema as avsc.Schema);
    expect(parsingCanonicalForm(schema)).toBe(JSON.stringify(type.schema()));
  });

  it('rejects malformed schemas naming the path', () => {
    expect(() => parsingCanonicalForm({ type: 'record', fields: [] })).toThrow(StreamsConfigError);
    expect(() => parsingCanonicalForm({ type: 'record', name: 'r', fields: [{ type: 'int' }] })).toThrow(
      /schema\.fields\[0\]\.name/,
    );
    expect(() => parsingCanonicalForm({ type: 'fixed', name: 'f', size: -1 })).toThrow(/size/);
    expect(() => parsingCanonicalForm(42)).toThrow(/saw 42/);
  });
});
