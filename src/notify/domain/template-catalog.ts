/**
 * Templates compiled once from configuration (F9) and rendered per request: `{{param}}`
 * placeholders are filled from `templateParams`; a missing parameter is an error that names it.
 */
import type { Channel, Template, TemplateVariant } from '../generated/schema-types.js';

/** What a successful render produced. */
export interface RenderedContent {
  readonly subject: string | undefined;
  readonly body: string;
  readonly templateCode: string | undefined;
  /** The variant's locale (may differ from the requested one after fallback). */
  readonly locale: string;
}

/** Why a render failed; `reason` is the feedback reason (e.g. `template:missing-param:code`). */
export interface RenderFailure {
  readonly reason: string;
}

export type RenderResult = ({ readonly ok: true } & RenderedContent) | ({ readonly ok: false } & RenderFailure);

/** A text split into literal parts and parameter names: `parts[0] {{names[0]}} parts[1] ...`. */
interface CompiledText {
  readonly parts: readonly string[];
  readonly names: readonly string[];
}

interface CompiledVariant {
  readonly locale: string;
  readonly language: string;
  readonly subject: CompiledText | undefined;
  readonly body: CompiledText;
  readonly templateCode: string | undefined;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

function compile(text: string): CompiledText {
  const parts: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, match.index));
    names.push(match[1]!);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return { parts, names };
}

function fill(text: CompiledText, params: Readonly<Record<string, string>>): string | { missing: string } {
  if (text.names.length === 0) return text.parts[0]!;
  let out = text.parts[0]!;
  for (let i = 0; i < text.names.length; i++) {
    const value = params[text.names[i]!];
    if (value === undefined) return { missing: text.names[i]! };
    out += value + text.parts[i + 1]!;
  }
  return out;
}

function languageOf(locale: string): string {
  return locale.split(/[-_]/)[0]!.toLowerCase();
}

/**
 * Every known template, by id. Locale fallback: exact locale, then the same language
 * (`zh-TW` → `zh-CN`), then the channel's first variant — a message in another language beats
 * no message for a notification the user asked for.
 */
export class TemplateCatalog {
  private readonly byId = new Map<string, Map<Channel, CompiledVariant[]>>();

  constructor(templates: Iterable<Template>) {
    for (const template of templates) this.put(template);
  }

  /** Builds a catalog from the configuration's `templates` map. */
  static fromConfig(templates: Readonly<Record<string, { readonly variants: readonly TemplateVariant[] }>>): TemplateCatalog {
    return new TemplateCatalog(Object.entries(templates).map(([templateId, t]) => ({ templateId, variants: [...t.variants] })));
  }

  /** Adds or replaces a template (e.g. from the templates topic). */
  put(template: Template): void {
    const channels = new Map<Channel, CompiledVariant[]>();
    for (const v of template.variants) {
      const list = channels.get(v.channel) ?? [];
      list.push({
        locale: v.locale,
        language: languageOf(v.locale),
        subject: v.subject ? compile(v.subject) : undefined,
        body: compile(v.body),
        templateCode: v.templateCode ?? undefined,
      });
      channels.set(v.channel, list);
    }
    this.byId.set(template.templateId, channels);
  }

  has(templateId: string): boolean {
    return this.byId.has(templateId);
  }

  /** Renders one request's content; never throws. */
  render(templateId: string, channel: Channel, locale: string, params: Readonly<Record<string, string>>): RenderResult {
    const template = this.byId.get(templateId);
    if (!template) return { ok: false, reason: `template:unknown:${templateId}` };
    const variants = template.get(channel);
    if (!variants || variants.length === 0) return { ok: false, reason: `template:no-variant:${channel}` };
    const variant = variants.find((v) => v.locale === locale) ?? this.sameLanguage(variants, locale) ?? variants[0]!;
    const body = fill(variant.body, params);
    if (typeof body !== 'string') return { ok: false, reason: `template:missing-param:${body.missing}` };
    let subject: string | undefined;
    if (variant.subject) {
      const s = fill(variant.subject, params);
      if (typeof s !== 'string') return { ok: false, reason: `template:missing-param:${s.missing}` };
      subject = s;
    }
    return { ok: true, subject, body, templateCode: variant.templateCode, locale: variant.locale };
  }

  /** The first variant in `locale`'s language; asked only when no variant has the exact locale. */
  private sameLanguage(variants: readonly CompiledVariant[], locale: string): CompiledVariant | undefined {
    const language = languageOf(locale);
    return variants.find((v) => v.language === language);
  }
}
