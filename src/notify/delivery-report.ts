/**
 * Turning the channel router's asynchronous reports into records of `topics.deliveryReports`
 * (key messageId, value `notify.v1.DeliveryReport`), as the app produces them. The topology
 * answers each with a DELIVERY_REPORT feedback event after the message's SENT.
 */
import type { DeliveryReport as ProviderDeliveryReport } from '../channels/index.js';
import type { DeliveryReport } from './generated/schema-types.js';

/**
 * The record value for a provider's report, or `undefined` when the provider could not map the
 * report back to our messageId (it cannot be joined with the message, so it is not produced).
 */
export function toDeliveryReport(report: ProviderDeliveryReport): DeliveryReport | undefined {
  if (!report.messageId) return undefined;
  return {
    messageId: report.messageId,
    provider: report.provider,
    providerMessageId: report.providerMessageId || null,
    status: report.status,
    reason: report.reason ?? null,
    // The router's asynchronous reports carry no "address gone" flag (unregistered tokens come
    // back synchronously, as PERMANENT_ERROR results).
    unregistered: false,
    reportedAt: report.at,
  };
}
