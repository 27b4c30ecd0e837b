import { mkdtempSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTemplateRenderer, TEMPLATES_DIR, UnknownTemplateError } from '../../stores/notifications-templates';
import { NOTIFICATION_TEMPLATES, statusTemplate } from '../../domain/templates';
import { backoffMs } from '../../lib/outbox';

const renderer = createTemplateRenderer();
const sample = {
  dossierCode: '000.31.31.H01-261123-0007', applicantName: 'Nguyễn Văn An', procedureName: 'Đăng ký khai sinh',
  agencyName: 'Ủy ban nhân dân phường Mỹ Bình', appointmentAt: '2026-11-25T09:30:00.000Z', reason: 'Thiếu giấy chứng sinh',
  fees: [{ name: 'Lệ phí hộ tịch', amount: 50000 }], amount: 50000, returnChannel: 'counter', newAppointmentAt: '2026-11-27T02:00:00.000Z',
  previousAppointmentAt: '2026-11-25T09:30:00.000Z', stepName: 'Thẩm định', dueAt: '2026-11-24T08:00:00.000Z',
};

test.each(NOTIFICATION_TEMPLATES.map((t) => [t]))('%s renders a subject, a text and an html body, and a one-line SMS', (template) => {
  const out = renderer.render(template, sample);
  expect(out.subject).toContain(sample.dossierCode);
  expect(out.sms).toContain(sample.dossierCode);
  expect(out.text).toContain(sample.dossierCode);
  expect(out.html).toMatch(/^<!doctype html>/);
  expect(out.html).toContain(sample.dossierCode);
  for (const line of [out.subject, out.sms]) expect(line).not.toMatch(/\n|\{\{/);
  expect(out.text).not.toMatch(/\{\{|\n{3,}/);
});

test('dates are shown in Vietnam time, money in đồng, and html is escaped while text is not', () => {
  const accepted = renderer.render('accepted', { ...sample, applicantName: 'Trần <Bình> & Co' });
  expect(accepted.subject).toBe('Hồ sơ 000.31.31.H01-261123-0007 đã được tiếp nhận');
  expect(accepted.text).toContain('Ngày hẹn trả kết quả: 16:30 ngày 25/11/2026');
  expect(accepted.text).toContain('Kính gửi Ông/Bà Trần <Bình> & Co,');
  expect(accepted.html).toContain('Trần &lt;Bình&gt; &amp; Co');
  const fee = renderer.render('fee-due', sample);
  expect(fee.text).toMatch(/Lệ phí hộ tịch: 50\.000 đồng/);
  expect(renderer.render('result-ready', sample).sms).toBe('Hồ sơ 000.31.31.H01-261123-0007 đã có kết quả, trả tại Bộ phận Một cửa.');
});

test('an unknown template is a typed error; a missing template file stops the start naming it', () => {
  expect(() => renderer.render('hello', sample)).toThrow(UnknownTemplateError);
  const dir = mkdtempSync(join(tmpdir(), 'templates-'));
  try {
    cpSync(TEMPLATES_DIR, dir, { recursive: true });
    rmSync(join(dir, 'refused', 'sms.hbs'));
    expect(() => createTemplateRenderer(dir)).toThrow(/refused\/sms\.hbs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the applicant is told about the status changes that concern them, not about the ones they caused by answering', () => {
  expect(statusTemplate(1, 2)).toBe('accepted');
  expect(statusTemplate(2, 4)).toBeUndefined();
  expect(statusTemplate(4, 5)).toBe('supplement-requested');
  expect(statusTemplate(5, 4)).toBeUndefined();
  expect(statusTemplate(4, 6)).toBe('fee-due');
  expect(statusTemplate(6, 9)).toBeUndefined();
  expect(statusTemplate(6, 2)).toBeUndefined();
  expect(statusTemplate(4, 9)).toBe('result-ready');
  expect(statusTemplate(9, 10)).toBe('returned');
  expect(statusTemplate(1, 3)).toBe('refused');
  expect(statusTemplate(5, 8)).toBe('stopped');
  expect(statusTemplate(6, 7)).toBe('withdrawn');
  expect(statusTemplate(undefined, 1)).toBeUndefined();
});

test('retries back off exponentially with jitter, up to the longest interval', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };
  expect([1, 2, 3, 4].map((n) => backoffMs(n, policy, () => 1))).toEqual([1000, 2000, 4000, 8000]);
  expect(backoffMs(3, policy, () => 0)).toBe(2000);
  expect(backoffMs(20, policy, () => 1)).toBe(60_000);
});
