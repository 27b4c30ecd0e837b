import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../lib/config';
import { partnerSecret, resolveIntegrations, signBody, verifyBody } from '../../lib/integrations';

const KEY = 'k'.repeat(40);

test('partner keys come as AGENCY=key pairs; a partner without one uses HANDOFF_SECRET', () => {
  const config = loadConfig({ HANDOFF_SECRET: KEY, PAYMENT_CALLBACK_SECRET: KEY, PARTNER_SECRETS: `CHI-CUC-THUE=${'t'.repeat(32)},SO-TNMT=${'m'.repeat(33)}` });
  expect(config.integrations.partnerSecrets).toEqual({ 'CHI-CUC-THUE': 't'.repeat(32), 'SO-TNMT': 'm'.repeat(33) });
  const integrations = resolveIntegrations(config);
  expect(partnerSecret(integrations, 'CHI-CUC-THUE')).toBe('t'.repeat(32));
  expect(partnerSecret(integrations, 'UBND-KHAC')).toBe(KEY);
  expect(config.integrations.reconciliationCron).toBe('30 0 * * *');
});

test('short keys and malformed partner lists stop the boot, naming the variable', () => {
  expect(() => loadConfig({ PAYMENT_CALLBACK_SECRET: 'short', PARTNER_SECRETS: 'CHI-CUC-THUE' })).toThrow(ConfigError);
  try {
    loadConfig({ PAYMENT_CALLBACK_SECRET: 'short', PARTNER_SECRETS: 'CHI-CUC-THUE' });
  } catch (err) {
    expect((err as ConfigError).problems.join('\n')).toMatch(/PAYMENT_CALLBACK_SECRET="short"[\s\S]*PARTNER_SECRETS="CHI-CUC-THUE"|PARTNER_SECRETS="CHI-CUC-THUE"[\s\S]*PAYMENT_CALLBACK_SECRET="short"/);
  }
});

test('keys not configured are generated once into DATA_DIR and kept', () => {
  const parent = join(__dirname, '..', '..', '.test-data');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'integrations-'));
  try {
    const first = resolveIntegrations(loadConfig({ DATA_DIR: dir, API_PORT: '3100' }));
    expect(first.paymentSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.handoffSecret).not.toBe(first.paymentSecret);
    expect(first.publicUrl).toBe('http://localhost:3100');
    expect(readFileSync(join(dir, 'payment-callback-secret'), 'utf8')).toBe(first.paymentSecret);
    expect(statSync(join(dir, 'handoff-secret')).mode & 0o777).toBe(0o600);
    expect(resolveIntegrations(loadConfig({ DATA_DIR: dir }))).toMatchObject({ paymentSecret: first.paymentSecret, handoffSecret: first.handoffSecret });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a signature verifies only the exact body it was made for, under the same key', () => {
  const body = Buffer.from('{"amount":20000}');
  expect(verifyBody(KEY, body, signBody(KEY, body))).toBe('ok');
  expect(verifyBody(KEY, Buffer.from('{"amount":20001}'), signBody(KEY, body))).toBe('invalid');
  expect(verifyBody(KEY, body, signBody('x'.repeat(40), body))).toBe('invalid');
  expect(verifyBody(KEY, body, 'sha256=00')).toBe('invalid');
  expect(verifyBody(KEY, body, undefined)).toBe('missing');
  expect(verifyBody(KEY, body, '  ')).toBe('missing');
});
