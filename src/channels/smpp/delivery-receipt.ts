/**
 * Delivery receipts (deliver_sm with esm_class "SMSC delivery receipt"). The id and final
 * state come from the receipted_message_id / message_state TLVs when present, else from the
 * de-facto text format of SMPP 3.4 Appendix B:
 * `id:IIIIIIIIII sub:SSS dlvd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...`
 */

/** A receipt reduced to what reports need; `status` null for intermediate states (ENROUTE, ACCEPTD). */
export interface ParsedReceipt {
  providerMessageId: string;
  status: 'DELIVERED' | 'FAILED' | null;
  /** The raw state (e.g. `UNDELIV`) and error code, for the report reason. */
  state: string;
  error?: string;
}

/** esm_class bits 2-5 value meaning "SMSC delivery receipt". */
export const ESM_CLASS_DELIVERY_RECEIPT = 0x04;

/** message_state TLV values (SMPP 3.4 §5.2.28) to their text names. */
const MESSAGE_STATE: Record<number, string> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};

function finalStatus(state: string): ParsedReceipt['status'] {
  switch (state) {
    case 'DELIVRD':
      return 'DELIVERED';
    case 'EXPIRED':
    case 'DELETED':
    case 'UNDELIV':
    case 'UNKNOWN':
    case 'REJECTD':
      return 'FAILED';
    default:
      return null;
  }
}

/** Whether a deliver_sm is a delivery receipt rather than a mobile-originated message. */
export function isDeliveryReceipt(esmClass: unknown): boolean {
  return typeof esmClass === 'number' && (esmClass & 0x3c) === ESM_CLASS_DELIVERY_RECEIPT;
}

/** Parses a receipt from a deliver_sm's text and TLVs; null when it carries no message id. */
export function parseDeliveryReceipt(text: string, tlvs: { receiptedMessageId?: unknown; messageState?: unknown } = {}): ParsedReceipt | null {
  const idMatch = /(?:^|\s)id:(\S+)/i.exec(text);
  const statMatch = /\bstat:(\S+)/i.exec(text);
  const errMatch = /\berr:(\S+)/i.exec(text);
  const id = typeof tlvs.receiptedMessageId === 'string' && tlvs.receiptedMessageId !== '' ? tlvs.receiptedMessageId : idMatch?.[1];
  if (!id) return null;
  const state =
    typeof tlvs.messageState === 'number' && MESSAGE_STATE[tlvs.messageState]
      ? (MESSAGE_STATE[tlvs.messageState] as string)
      : (statMatch?.[1]?.toUpperCase() ?? 'UNKNOWN');
  const receipt: ParsedReceipt = { providerMessageId: id, status: finalStatus(state), state };
  if (errMatch?.[1]) receipt.error = errMatch[1];
  return receipt;
}
