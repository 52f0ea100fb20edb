/**
 * Where the channel router's delivery reports go (an SMPP receipt, push vendor feedback): each
 * report is produced to the delivery-report topic (`topics.deliveryReports`), keyed by
 * messageId, Avro `notify.v1.DeliveryReport`; the topology turns it into DELIVERY_REPORT
 * feedback after SENT. Produced with acks=all; a report that cannot be produced is logged (the
 * provider will not send it again), and counted by `notify_channel_delivery_reports_total` on
 * receipt either way.
 */
import type { Logger } from 'pino';
import type { DeliveryReport as ChannelReport } from '../channels/index.js';
import { toDeliveryReport, type DeliveryReport } from '../notify/index.js';
import { AvroSerde, type AvroSchemaCatalog } from '../streams/index.js';
import type { DurableProducer } from './kafka/durable-producer.js';

export interface DeliveryReportSink {
  accept(report: ChannelReport): void;
}

export function deliveryReportSink(topic: string, catalog: AvroSchemaCatalog, producer: DurableProducer, logger: Logger): DeliveryReportSink {
  const log = logger.child({ component: 'delivery-reports' });
  const serde = new AvroSerde<DeliveryReport>({ catalog, type: 'notify.v1.DeliveryReport' });
  return {
    accept: (report) => {
      const record = toDeliveryReport(report);
      if (!record) {
        log.warn({ provider: report.provider, providerMessageId: report.providerMessageId }, 'delivery report the provider could not map to a messageId; dropped');
        return;
      }
      const messageId = record.messageId;
      producer.send(topic, messageId, serde.serialize(topic, record)).then(
        () => log.debug({ messageId, status: report.status }, 'delivery report produced'),
        (err: unknown) => log.error({ err, messageId, status: report.status }, 'delivery report could not be produced; it is lost'),
      );
    },
  };
}
