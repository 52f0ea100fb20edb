import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChannelRouter } from '../../../src/channels/index.js';
import type { ChannelRouter, DeliveryReport, OutboundMessage } from '../../../src/channels/index.js';
import { describeProviderConformance } from './support/provider-conformance.js';
import { SmppPeer } from './support/smpp-peer.js';

const env = { SMPP_PASSWORD: 'secret' };

const sms = (id: string, body = 'Your code is 123456'): OutboundMessage => ({
  messageId: id,
  channel: 'SMS',
  category: 'VERIFICATION',
  recipient: { userId: 'u1', phone: '+8613800138000' },
  body,
  templateParams: {},
  tags: {},
});

const smppConfig = (port: number, name: string, extra: Record<string, unknown> = {}) => ({
  type: 'smpp',
  name,
  host: '127.0.0.1',
  port,
  systemId: 'notify',
  password: { env: 'SMPP_PASSWORD' },
  sourceAddr: 'NOTIFY',
  reconnectMs: 100,
  bindTimeoutMs: 1_000,
  ...extra,
});

describeProviderConformance({
  title: 'smpp',
  channel: 'SMS',
  startPeer: () => SmppPeer.start(),
  providerConfig: (peer, name) => smppConfig(peer.port, name),
  message: (id) => sms(id),
  env,
});

describe('smpp provider', () => {
  let peer: SmppPeer;
  let router: ChannelRouter | undefined;
  const reports: DeliveryReport[] = [];

  const build = async (extra: Record<string, unknown> = {}, password = env) => {
    router = await createChannelRouter(
      { pools: { sms: { channel: 'SMS', providers: [{ ...smppConfig(peer.port, 'smsc', extra), timeoutMs: 2_000 }] } } },
      { env: password },
    );
    router.onDeliveryReport((report) => reports.push(report));
    return router;
  };
  const waitFor = async (predicate: () => boolean, ms = 2_000) => {
    const until = performance.now() + ms;
    while (!predicate() && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    return predicate();
  };

  beforeAll(async () => {
    peer = await SmppPeer.start();
  });
  afterEach(async () => {
    await router?.close();
    router = undefined;
    reports.length = 0;
    peer.mode = 'ok';
    peer.receipts = 'DELIVRD';
    peer.receiptTlvs = false;
    peer.submits.length = 0;
  });
  afterAll(() => peer.close());

  it('splits a long Chinese body into UCS-2 parts with a concatenation UDH and bills each part', async () => {
    await build();
    const body = '您的订单已发货，'.repeat(20); // 160 UCS-2 units → 67 + 67 + 26
    const [result] = await router!.send([sms('long-1', body)]);
    expect(result).toMatchObject({ status: 'ACCEPTED', billableUnits: 3 });
    expect(peer.submits).toHaveLength(3);
    const udhs = peer.submits.map((pdu) => (pdu.short_message as { udh: Buffer[] }).udh[0]);
    const reference = udhs[0]?.[2];
    udhs.forEach((udh, index) => expect([...(udh ?? [])]).toEqual([0x00, 0x03, reference, 3, index + 1]));
    expect(peer.submits.every((pdu) => pdu.data_coding === 0x08 && ((pdu.esm_class as number) & 0x40) === 0x40)).toBe(true);
    const text = peer.submits.map((pdu) => (pdu.short_message as { message: string }).message).join('');
    expect(text).toBe(body);
  });

  it('sends GSM-7 as unpacked septets with extension characters escaped', async () => {
    await build();
    const [result] = await router!.send([sms('gsm-1', 'Price: 5€ {promo}')]);
    expect(result).toMatchObject({ status: 'ACCEPTED', billableUnits: 1 });
    const pdu = peer.submits[0];
    expect(pdu?.data_coding).toBe(0);
    expect((pdu?.short_message as { message: string }).message).toBe('Price: 5€ {promo}');
    expect(pdu?.destination_addr).toBe('8613800138000');
    expect(pdu?.registered_delivery).toBe(1);
  });

  it('turns delivery receipts into DELIVERED reports carrying our message id, once per multi-part message', async () => {
    await build();
    const [single, multi] = await router!.send([sms('rcpt-1'), sms('rcpt-2', 'x'.repeat(200))]);
    expect(await waitFor(() => reports.length >= 2)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reports).toHaveLength(2);
    const byId = Object.fromEntries(reports.map((r) => [r.messageId, r]));
    expect(byId['rcpt-1']).toMatchObject({ status: 'DELIVERED', provider: 'smsc', providerMessageId: (single as { providerMessageId: string }).providerMessageId });
    expect(byId['rcpt-2']).toMatchObject({ status: 'DELIVERED', providerMessageId: (multi as { providerMessageId: string }).providerMessageId });
  });

  it('reports FAILED receipts with the SMSC state, from TLVs too', async () => {
    await build();
    peer.receipts = 'UNDELIV';
    peer.receiptTlvs = true;
    await router!.send([sms('rcpt-3')]);
    expect(await waitFor(() => reports.length >= 1)).toBe(true);
    expect(reports[0]).toMatchObject({ messageId: 'rcpt-3', status: 'FAILED', reason: expect.stringContaining('UNDELIV') });
  });

  it('keeps the link alive with enquire_link', async () => {
    await build({ enquireLinkMs: 50 });
    const before = peer.enquireLinks;
    await router!.send([sms('ka-1')]);
    expect(await waitFor(() => peer.enquireLinks - before >= 3)).toBe(true);
  });

  it('re-binds after the SMSC drops the session', async () => {
    await build();
    await router!.send([sms('rb-1')]);
    const binds = peer.binds;
    peer.dropSessions();
    expect(await waitFor(() => peer.binds > binds)).toBe(true);
    const [result] = await router!.send([sms('rb-2')]);
    expect(result).toMatchObject({ status: 'ACCEPTED' });
  });

  it('answers RETRYABLE_ERROR when the bind is refused (wrong password), and never leaks the password', async () => {
    await build({}, { SMPP_PASSWORD: 'wrong-password' });
    const [result] = await router!.send([sms('bind-1')]);
    expect(result).toMatchObject({ status: 'RETRYABLE_ERROR', reason: expect.stringContaining('bind rejected') });
    expect(JSON.stringify(result)).not.toContain('wrong-password');
  });

  it('rejects a message without a phone number or past its expiry as permanent', async () => {
    await build();
    const noPhone = { ...sms('np-1'), recipient: { userId: 'u1' } };
    const expired = { ...sms('exp-1'), expireAt: Date.now() - 1 };
    const results = await router!.send([noPhone, expired]);
    expect(results.map((r) => r.status)).toEqual(['PERMANENT_ERROR', 'PERMANENT_ERROR']);
  });

  it('keeps at most `window` submit_sm outstanding', async () => {
    await build({ window: 5, maxInFlight: 100 });
    peer.mode = 'hang';
    const sends = router!.send(Array.from({ length: 20 }, (_, i) => sms(`win-${i}`)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(peer.submits).toHaveLength(5);
    peer.dropSessions();
    await sends;
  });
});
