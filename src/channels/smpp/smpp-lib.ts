/**
 * Typed access to the `smpp` package (it ships no type declarations). Only the parts this
 * package uses are described; the module is loaded through `createRequire` because it is
 * CommonJS without an ESM entry.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

/** A decoded PDU: header fields plus whatever parameters and TLVs the command carries. */
export interface SmppPdu {
  command: string;
  command_status: number;
  sequence_number: number;
  [field: string]: unknown;
  response(options?: Record<string, unknown>): SmppPdu;
}

/** One SMPP session (client or server side). */
export interface SmppSession extends EventEmitter {
  send(pdu: SmppPdu, responseCallback?: (pdu: SmppPdu) => void, sendCallback?: (pdu: SmppPdu) => void): boolean;
  close(callback?: () => void): void;
  destroy(callback?: () => void): void;
  pause(): void;
  resume(): void;
  socket: { writable: boolean; remotePort?: number };
  [command: string]: unknown;
}

/** An SMPP server (a `net.Server` subclass). */
export interface SmppServer extends EventEmitter {
  sessions: SmppSession[];
  listen(port: number, host: string, callback?: () => void): unknown;
  close(callback?: (error?: Error) => void): void;
  address(): { port: number } | string | null;
}

/** The module's surface as used here. */
export interface SmppModule {
  connect(options: { host: string; port: number; tls?: boolean; noDelay?: boolean; rejectUnauthorized?: boolean }, listener?: () => void): SmppSession;
  createServer(options: Record<string, unknown>, listener?: (session: SmppSession) => void): SmppServer;
  PDU: new (command: string, options?: Record<string, unknown>) => SmppPdu;
  errors: Record<string, number>;
}

const require = createRequire(import.meta.url);

/** The loaded `smpp` package. */
export const smpp = require('smpp') as SmppModule;

/** Builds a PDU for `command` with the given parameters. */
export function createPdu(command: string, params: Record<string, unknown> = {}): SmppPdu {
  return new smpp.PDU(command, params);
}
