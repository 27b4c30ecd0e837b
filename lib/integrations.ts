import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config';

/**
 * What the platform needs to talk to the outside world over signed HTTP: the payment provider's
 * callbacks and partner agencies' handoffs. Built once by a composition root and handed down.
 */
export interface Integrations {
  /** base URL the API is reached at: payment pages and partner callbacks are links under it */
  publicUrl: string;
  /** HMAC key of the payment provider's callbacks */
  paymentSecret: string;
  /** HMAC key of handoff packages and partners' answers, for partners without a key of their own */
  handoffSecret: string;
  /** partner agency code → its own HMAC key */
  partnerSecrets: Record<string, string>;
}

/** The header that carries `sha256=<hex HMAC-SHA256 of the raw body>` on every signed request. */
export const SIGNATURE_HEADER = 'X-Signature';

/** `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `signature` (the header's value) signs `body` under `secret`: `missing`, `invalid` or `ok`. */
export function verifyBody(secret: string, body: Buffer, signature: string | undefined): 'missing' | 'invalid' | 'ok' {
  if (!signature?.trim()) return 'missing';
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(signature.trim());
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'invalid';
}

/** The key a partner agency signs with (its own, else the platform's handoff key). */
export function partnerSecret(integrations: Integrations, agency: string): string {
  return integrations.partnerSecrets[agency] ?? integrations.handoffSecret;
}

/** A secret from the configuration, else one generated once and kept in the data folder. */
function keptSecret(dataDir: string, given: string | undefined, file: string): string {
  if (given) return given;
  const path = join(dataDir, file);
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, randomBytes(48).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(path, 'utf8').trim();
}

/** The integrations of a configuration; keys not configured are generated into DATA_DIR on first use. */
export function resolveIntegrations(config: Config, publicUrl = config.api.publicUrl): Integrations {
  return {
    publicUrl: publicUrl.replace(/\/+$/, ''),
    paymentSecret: keptSecret(config.dataDir, config.integrations.paymentSecret, 'payment-callback-secret'),
    handoffSecret: keptSecret(config.dataDir, config.integrations.handoffSecret, 'handoff-secret'),
    partnerSecrets: config.integrations.partnerSecrets,
  };
}
