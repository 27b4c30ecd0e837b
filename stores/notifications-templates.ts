import Handlebars from 'handlebars';
import { DateTime } from 'luxon';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NOTIFICATION_TEMPLATES } from '../domain/templates';

/** The folder of the shipped templates: `<name>/{subject,text,html,sms}.hbs` and `layout.html.hbs`. */
export const TEMPLATES_DIR = join(__dirname, '..', 'templates', 'notifications');

export const TEMPLATE_PARTS = ['subject', 'text', 'html', 'sms'] as const;
export type TemplatePart = (typeof TEMPLATE_PARTS)[number];
export type RenderedNotification = Record<TemplatePart, string>;

/** Thrown when a notification names a template the platform does not have. */
export class UnknownTemplateError extends Error {
  override name = 'UnknownTemplateError';
}

const RETURN_CHANNELS: Record<string, string> = {
  electronic: 'trực tuyến (bản điện tử)',
  counter: 'tại Bộ phận Một cửa',
  postal: 'qua dịch vụ bưu chính công ích',
};

export interface TemplateRenderer {
  render(template: string, data: Record<string, unknown>): RenderedNotification;
}

/**
 * Compiles every template once (a missing file stops the start with the list of what is missing) and
 * renders them: html escaped, the other parts as plain text. Dates are shown in Vietnam's time.
 */
export function createTemplateRenderer(dir = TEMPLATES_DIR, zone = 'Asia/Ho_Chi_Minh'): TemplateRenderer {
  const hbs = Handlebars.create();
  hbs.registerHelper('datetime', (value: unknown) => {
    if (typeof value !== 'string' && !(value instanceof Date)) return '';
    const at = value instanceof Date ? DateTime.fromJSDate(value) : DateTime.fromISO(value);
    return at.isValid ? at.setZone(zone).toFormat("HH:mm 'ngày' dd/MM/yyyy") : String(value);
  });
  hbs.registerHelper('money', (value: unknown) => {
    const n = Number(value);
    return Number.isFinite(n) ? `${new Intl.NumberFormat('vi-VN').format(n)} đồng` : '';
  });
  hbs.registerHelper('returnChannelLabel', (value: unknown) => RETURN_CHANNELS[String(value)] ?? String(value ?? ''));
  hbs.registerPartial('layout', readFileSync(join(dir, 'layout.html.hbs'), 'utf8'));

  const missing: string[] = [];
  const compiled = new Map<string, Record<TemplatePart, Handlebars.TemplateDelegate>>();
  for (const name of NOTIFICATION_TEMPLATES) {
    const parts = {} as Record<TemplatePart, Handlebars.TemplateDelegate>;
    for (const part of TEMPLATE_PARTS) {
      const file = join(dir, name, `${part}.hbs`);
      if (!existsSync(file)) {
        missing.push(`${name}/${part}.hbs`);
        continue;
      }
      parts[part] = hbs.compile(readFileSync(file, 'utf8'), { noEscape: part !== 'html' });
    }
    compiled.set(name, parts);
  }
  if (missing.length) throw new Error(`notification templates missing in ${dir}: ${missing.join(', ')}`);

  return {
    render(template, data) {
      const parts = compiled.get(template);
      if (!parts) throw new UnknownTemplateError(`no notification template "${template}" (known: ${NOTIFICATION_TEMPLATES.join(', ')})`);
      const out = {} as RenderedNotification;
      for (const part of TEMPLATE_PARTS) {
        const text = parts[part](data);
        // subjects and SMS are one line; text keeps its paragraphs, without the blank runs left by {{#if}}
        out[part] = part === 'subject' || part === 'sms' ? text.replace(/\s+/g, ' ').trim() : text.replace(/\n{3,}/g, '\n\n').trim();
      }
      return out;
    },
  };
}
