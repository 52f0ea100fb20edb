/**
 * The Avro serdes the app writes and reads with: the repository's `schemas/`, single-object
 * encoded like any producer without a schema registry (DESIGN §3).
 */
import { AvroSchemaCatalog, AvroSerde } from '../streams/index.js';
import { defaultSchemaDir, type DeliveryFeedback, type NotificationRequest, type RevokeCommand } from '../notify/index.js';

export interface AppCodecs {
  readonly catalog: AvroSchemaCatalog;
  readonly request: AvroSerde<NotificationRequest>;
  readonly revoke: AvroSerde<RevokeCommand>;
  readonly feedback: AvroSerde<DeliveryFeedback>;
}

let shared: AppCodecs | undefined;

/** One set of serdes per process (the catalog parses every schema once). */
export function appCodecs(): AppCodecs {
  if (!shared) {
    const catalog = AvroSchemaCatalog.fromDirectory(defaultSchemaDir());
    shared = {
      catalog,
      request: new AvroSerde<NotificationRequest>({ catalog, type: 'notify.v1.NotificationRequest' }),
      revoke: new AvroSerde<RevokeCommand>({ catalog, type: 'notify.v1.RevokeCommand' }),
      feedback: new AvroSerde<DeliveryFeedback>({ catalog, type: 'notify.v1.DeliveryFeedback' }),
    };
  }
  return shared;
}
