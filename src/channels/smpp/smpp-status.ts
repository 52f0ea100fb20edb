/**
 * Classifies SMPP 3.4 command_status codes from submit_sm_resp. Throttling, queue-full and
 * system errors are temporary; address, length and content errors are about the message and
 * will fail on any line.
 */

/** Statuses where resending the same PDU later (or on another line) can succeed. */
const RETRYABLE = new Set<number>([
  0x0004, // ESME_RINVBNDSTS: bound wrong; a re-bind fixes it
  0x0008, // ESME_RSYSERR
  0x0014, // ESME_RMSGQFUL
  0x0045, // ESME_RSUBMITFAIL: generic, usually transient on carrier gateways
  0x0058, // ESME_RTHROTTLED
  0x0064, // ESME_RX_T_APPN: temporary application error
  0x00fe, // ESME_RDELIVERYFAILURE
  0x00ff, // ESME_RUNKNOWNERR
]);

const NAMES: Record<number, string> = {
  0x0001: 'ESME_RINVMSGLEN',
  0x0004: 'ESME_RINVBNDSTS',
  0x0008: 'ESME_RSYSERR',
  0x000a: 'ESME_RINVSRCADR',
  0x000b: 'ESME_RINVDSTADR',
  0x0014: 'ESME_RMSGQFUL',
  0x0045: 'ESME_RSUBMITFAIL',
  0x0058: 'ESME_RTHROTTLED',
  0x0062: 'ESME_RINVEXPIRY',
  0x0064: 'ESME_RX_T_APPN',
  0x0065: 'ESME_RX_P_APPN',
  0x0066: 'ESME_RX_R_APPN',
  0x00fe: 'ESME_RDELIVERYFAILURE',
  0x00ff: 'ESME_RUNKNOWNERR',
  0x0104: 'ESME_RINVDCS',
};

/** Whether a non-zero command_status is worth retrying. */
export function isRetryableSmppStatus(status: number): boolean {
  return RETRYABLE.has(status);
}

/** `ESME_RTHROTTLED (0x58)` style description. */
export function describeSmppStatus(status: number): string {
  const hex = `0x${status.toString(16).padStart(2, '0')}`;
  const name = NAMES[status];
  return name ? `${name} (${hex})` : `command_status ${hex}`;
}
