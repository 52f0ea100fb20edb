/**
 * A local SMSC built on the `smpp` package's server: accepts transceiver binds, answers
 * submit_sm per mode, sends delivery receipts (deliver_sm) for accepted messages, answers
 * enquire_link, and can go down (dropping every session) and come back on the same port.
 */
import { smpp } from '../../../../src/channels/smpp/smpp-lib.js';
import type { SmppPdu, SmppServer, SmppSession } from '../../../../src/channels/smpp/smpp-lib.js';
import type { PeerMode, TestPeer } from './test-peer.js';

/** Receipt behaviour: final state to report, or none. */
export type ReceiptMode = 'DELIVRD' | 'UNDELIV' | 'none';

/** A stoppable SMSC on 127.0.0.1. */
export class SmppPeer implements TestPeer {
  mode: PeerMode = 'ok';
  receipts: ReceiptMode = 'DELIVRD';
  /** Use the receipted_message_id / message_state TLVs as well as the text. */
  receiptTlvs = false;
  received = 0;
  binds = 0;
  enquireLinks = 0;
  readonly arrivals: number[] = [];
  readonly submits: SmppPdu[] = [];
  port = 0;
  readonly #systemId: string;
  readonly #password: string;
  #server: SmppServer | undefined;
  #nextId = 1000;

  private constructor(systemId: string, password: string) {
    this.#systemId = systemId;
    this.#password = password;
  }

  static async start(credentials = { systemId: 'notify', password: 'secret' }): Promise<SmppPeer> {
    const peer = new SmppPeer(credentials.systemId, credentials.password);
    await peer.start();
    return peer;
  }

  /** Sessions currently connected. */
  get sessions(): readonly SmppSession[] {
    return this.#server?.sessions ?? [];
  }

  async start(): Promise<void> {
    const server = smpp.createServer({}, (session) => this.#onSession(session));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.#server = server;
  }

  /** Drops every session, keeps listening (a network blip). */
  dropSessions(): void {
    for (const session of [...this.sessions]) session.destroy();
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    for (const session of [...server.sessions]) session.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.stop();
  }

  #onSession(session: SmppSession): void {
    session.on('error', () => undefined);
    session.on('bind_transceiver', (pdu: SmppPdu) => {
      const ok = pdu.system_id === this.#systemId && pdu.password === this.#password;
      if (ok) this.binds++;
      session.send(pdu.response(ok ? { system_id: 'test-smsc' } : { command_status: smpp.errors.ESME_RBINDFAIL }));
    });
    session.on('enquire_link', (pdu: SmppPdu) => {
      this.enquireLinks++;
      session.send(pdu.response());
    });
    session.on('unbind', (pdu: SmppPdu) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu: SmppPdu) => this.#onSubmit(session, pdu));
  }

  #onSubmit(session: SmppSession, pdu: SmppPdu): void {
    this.received++;
    this.arrivals.push(performance.now());
    if (this.submits.length < 10_000) this.submits.push(pdu);
    switch (this.mode) {
      case 'hang':
        return;
      case 'permanent':
        session.send(pdu.response({ command_status: smpp.errors.ESME_RINVDSTADR }));
        return;
      case 'retryable':
        session.send(pdu.response({ command_status: smpp.errors.ESME_RTHROTTLED }));
        return;
      case 'ok': {
        const id = (this.#nextId++).toString(16);
        session.send(pdu.response({ message_id: id }));
        if (this.receipts !== 'none' && pdu.registered_delivery) this.#sendReceipt(session, pdu, id, this.receipts);
      }
    }
  }

  #sendReceipt(session: SmppSession, submit: SmppPdu, id: string, state: 'DELIVRD' | 'UNDELIV'): void {
    const text = `id:${id} sub:001 dlvd:${state === 'DELIVRD' ? '001' : '000'} submit date:2501011200 done date:2501011201 stat:${state} err:${state === 'DELIVRD' ? '000' : '001'} text:`;
    const tlvs = this.receiptTlvs ? { receipted_message_id: id, message_state: state === 'DELIVRD' ? 2 : 5 } : {};
    setTimeout(() => {
      session.send(
        new smpp.PDU('deliver_sm', {
          source_addr: submit.destination_addr,
          destination_addr: submit.source_addr,
          esm_class: 0x04,
          short_message: text,
          ...tlvs,
        }),
      );
    }, 5);
  }
}
