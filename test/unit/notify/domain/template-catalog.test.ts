import { describe, expect, it } from 'vitest';
import { TemplateCatalog } from '../../../../src/notify/domain/template-catalog.js';

const catalog = TemplateCatalog.fromConfig({
  code: {
    variants: [
      { channel: 'SMS', locale: 'zh-CN', templateCode: 'SMS_1', body: '验证码{{code}}，{{ minutes }}分钟有效' },
      { channel: 'SMS', locale: 'en-US', templateCode: 'SMS_2', body: 'Code {{code}}' },
      { channel: 'PUSH', locale: 'en-US', subject: 'Hi {{name}}', body: 'Your code is {{code}}' },
    ],
  },
});

describe('TemplateCatalog', () => {
  it('renders placeholders (with or without spaces) and keeps the template code', () => {
    const r = catalog.render('code', 'SMS', 'zh-CN', { code: '123456', minutes: '5' });
    expect(r).toEqual({ ok: true, subject: undefined, body: '验证码123456，5分钟有效', templateCode: 'SMS_1', locale: 'zh-CN' });
  });

  it('names the missing parameter', () => {
    expect(catalog.render('code', 'SMS', 'zh-CN', { code: '1' })).toEqual({ ok: false, reason: 'template:missing-param:minutes' });
    expect(catalog.render('code', 'PUSH', 'en-US', { code: '1' })).toEqual({ ok: false, reason: 'template:missing-param:name' });
  });

  it('falls back by language, then to the first variant of the channel', () => {
    expect(catalog.render('code', 'SMS', 'en-GB', { code: '9' })).toMatchObject({ ok: true, body: 'Code 9', locale: 'en-US' });
    expect(catalog.render('code', 'SMS', 'fr-FR', { code: '9', minutes: '1' })).toMatchObject({ ok: true, locale: 'zh-CN' });
  });

  it('reports unknown templates and channels without a variant', () => {
    expect(catalog.render('nope', 'SMS', 'zh-CN', {})).toEqual({ ok: false, reason: 'template:unknown:nope' });
    expect(catalog.render('code', 'EMAIL', 'zh-CN', {})).toEqual({ ok: false, reason: 'template:no-variant:EMAIL' });
    expect(catalog.has('code')).toBe(true);
  });

  it('renders a subject and leaves extra parameters alone', () => {
    expect(catalog.render('code', 'PUSH', 'en-US', { code: '7', name: 'Ann', extra: 'x' })).toMatchObject({ subject: 'Hi Ann', body: 'Your code is 7' });
  });
});
