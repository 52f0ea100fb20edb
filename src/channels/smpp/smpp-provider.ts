/**
 * SMS over SMPP 3.4. Bodies are split per GSM-7 / UCS-2 segment rules; a multi-part message is
 * sent as several submit_sm PDUs carrying a concatenation UDH (IEI 0x00, 8-bit reference) and
 * esm_class UDHI, all inside the connection's window. Billable units are the number of parts.
 * Delivery receipts are mapped back to our message ids through a bounded tracker.
 */
import { accepted, describeError, permanent, retryable } from '../channel-error.js';
import type { SmppProviderConfig } from '../provider-config.js';
import type { Secret } from '../secret.js';
import { SMS_MAX_PARTS, splitSms } from '../sms/sms-segments.js';
import type { Channel, ChannelProvider, DeliveryReportListener, OutboundMessage, SendResult } from '../types.js';
import { isDeliveryReceipt, parseDeliveryReceipt } from './delivery-receipt.js';
import { ReceiptTracker } from './receipt-tracker.js';
import { SmppConnection } from './smpp-connection.js';
import type { SmppPdu } from './smpp-lib.js';
import { describeSmppStatus, isRetryableSmppStatus } from './smpp-status.js';

const DATA_CODING = { GSM7: 0x00, UCS2: 0x08 } as const;
const ESM_CLASS_UDHI = 0x40;

/** One SMPP transceiver line. */
export class SmppProvider implements ChannelProvider {
  readonly name: string;
  readonly channel: Channel;
  readonly #config: SmppProviderConfig;
  readonly #connection: SmppConnection;
  readonly #tracker: ReceiptTracker;
  readonly #listeners: DeliveryReportListener[] = [];
  #reference = Math.floor(Math.random() * 256);

  constructor(config: SmppProviderConfig, channel: Channel, password: Secret) {
    this.name = config.name;
    this.channel = channel;
    this.#config = config;
    this.#tracker = new ReceiptTracker(config.receiptMemory);
    this.#connection = new SmppConnection({
      host: config.host,
      port: config.port,
      tls: config.tls,
      systemId: config.systemId,
      password,
      systemType: config.systemType,
      window: config.window,
      enquireLinkMs: config.enquireLinkMs,
      reconnectMs: config.reconnectMs,
      bindTimeoutMs: config.bindTimeoutMs,
      onDeliverSm: (pdu) => this.#onDeliverSm(pdu),
    });
  }

  /** Receipt mappings currently remembered (bounded by `receiptMemory`). */
  get trackedReceipts(): number {
    return this.#tracker.size;
  }

  onDeliveryReport(listener: DeliveryReportListener): void {
    this.#listeners.push(listener);
  }

  prepare(): Promise<void> {
    return this.#connection.ensureBound();
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const phone = message.recipient.phone;
    if (!phone) return permanent(message.messageId, this.name, 'missing recipient.phone');
    const { encoding, parts } = splitSms(message.body);
    if (parts.length > SMS_MAX_PARTS) {
      return permanent(message.messageId, this.name, `body needs ${parts.length} parts; SMS allows ${SMS_MAX_PARTS}`);
    }
    try {
      await this.#connection.ensureBound();
    } catch (error) {
      return retryable(message.messageId, this.name, describeError(error));
    }
    const base = this.#baseParams(message, phone, DATA_CODING[encoding]);
    const reference = (this.#reference = (this.#reference + 1) & 0xff);
    const pdus = parts.map((payload, index) =>
      parts.length === 1
        ? { ...base, short_message: payload }
        : {
            ...base,
            esm_class: ESM_CLASS_UDHI,
            short_message: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, reference, parts.length, index + 1]), payload]),
          },
    );
    const group = this.#config.deliveryReceipts ? this.#tracker.open(message.messageId, pdus.length) : undefined;
    const answers = await Promise.all(
      pdus.map((params, index) =>
        // The id is recorded in the response callback itself: a receipt read from the same
        // socket chunk is handled before any promise continuation would run.
        this.#connection.request('submit_sm', params, signal, (pdu) => {
          if (group && pdu.command_status === 0 && typeof pdu.message_id === 'string') {
            this.#tracker.add(group, index, pdu.message_id);
          }
        }).then(
          (pdu) => ({ status: pdu.command_status, id: typeof pdu.message_id === 'string' ? pdu.message_id : '' }),
          (error: unknown) => ({ status: -1, id: '', error: describeError(error) }),
        ),
      ),
    );
    // A permanent part failure decides the message; otherwise any retryable one does.
    const failed =
      answers.find((a) => a.status > 0 && !isRetryableSmppStatus(a.status)) ?? answers.find((a) => a.status !== 0);
    if (!failed) return accepted(message.messageId, this.name, parts.length, answers[0]?.id);
    if (group) this.#tracker.discard(group);
    const partNote = parts.length > 1 ? ` (${answers.filter((a) => a.status === 0).length}/${parts.length} parts accepted)` : '';
    if ('error' in failed && failed.error !== undefined) return retryable(message.messageId, this.name, `${failed.error}${partNote}`);
    const reason = `${describeSmppStatus(failed.status)}${partNote}`;
    return isRetryableSmppStatus(failed.status)
      ? retryable(message.messageId, this.name, reason)
      : permanent(message.messageId, this.name, reason);
  }

  close(): Promise<void> {
    return this.#connection.close();
  }

  #baseParams(message: OutboundMessage, phone: string, dataCoding: number): Record<string, unknown> {
    const c = this.#config;
    const params: Record<string, unknown> = {
      service_type: '',
      source_addr_ton: c.sourceAddrTon,
      source_addr_npi: c.sourceAddrNpi,
      source_addr: c.sourceAddr,
      dest_addr_ton: c.destAddrTon,
      dest_addr_npi: c.destAddrNpi,
      destination_addr: phone.replace(/^\+/, ''),
      esm_class: 0,
      registered_delivery: c.deliveryReceipts ? 1 : 0,
      // Codes must not wait behind bulk traffic inside the SMSC either.
      priority_flag: message.category === 'VERIFICATION' ? 1 : 0,
      data_coding: dataCoding,
    };
    // The SMSC drops the message itself once it is useless (absolute validity period).
    if (message.expireAt !== undefined && message.expireAt > Date.now()) params.validity_period = new Date(message.expireAt);
    return params;
  }

  #onDeliverSm(pdu: SmppPdu): void {
    if (!isDeliveryReceipt(pdu.esm_class)) return;
    const short = pdu.short_message as { message?: unknown } | undefined;
    const text = typeof short?.message === 'string' ? short.message : '';
    const receipt = parseDeliveryReceipt(text, { receiptedMessageId: pdu.receipted_message_id, messageState: pdu.message_state });
    if (!receipt || receipt.status === null) return;
    const outcome = this.#tracker.resolve(receipt.providerMessageId, receipt.status);
    if (!outcome) return;
    const report = {
      ...(outcome.messageId === undefined ? {} : { messageId: outcome.messageId }),
      providerMessageId: outcome.providerMessageId,
      provider: this.name,
      status: outcome.status,
      ...(outcome.status === 'FAILED' ? { reason: `${receipt.state}${receipt.error ? ` err:${receipt.error}` : ''}` } : {}),
      at: Date.now(),
    };
    for (const listener of this.#listeners) listener(report);
  }
}
