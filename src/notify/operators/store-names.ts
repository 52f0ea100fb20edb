/** Names of the notification topology's state stores (changelogs: `<applicationId>-<name>-changelog`). */
export const STORE_NAMES = {
  subscriptions: 'subscriptions',
  dedupe: 'dedupe-seen',
  fatigue: 'fatigue-counts',
  held: 'delay-held',
  ledger: 'delivery-ledger',
  sendIntents: 'send-intents',
  billing: 'billing-windows',
  billingCounted: 'billing-counted',
  deliveryTracking: 'delivery-tracking',
} as const;
