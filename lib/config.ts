import Ajv from 'ajv';
import { resolve } from 'node:path';

/**
 * Every environment variable the platform reads, with its default and a one-line description.
 * Parsed once by a composition root (`worker.ts`, `api/server.ts`, `scripts/start.ts`).
 */
const DEFAULT_SYSTEM_NAME_TEXT = 'Hệ thống thông tin giải quyết thủ tục hành chính';

const variables = {
  DATABASE_URL: { type: 'string', description: 'PostgreSQL connection URL; empty starts the embedded PostgreSQL' },
  EMBEDDED_PG_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 54329, description: 'port of the embedded PostgreSQL' },
  DATA_DIR: { type: 'string', default: '.data', description: 'folder for embedded data (PostgreSQL, Temporal SQLite, secrets, files)' },
  EMBEDDED_PG_FALLBACK_DIR: { type: 'string', minLength: 1, default: '/var/lib/onestop',
    description: 'run as root with DATA_DIR or node_modules in a private folder: the embedded PostgreSQL keeps its binaries and data in a subfolder of this one, owned by the postgres user' },
  TEMPORAL_ADDRESS: { type: 'string', description: 'host:port of a Temporal frontend; empty starts the Temporal dev server' },
  TEMPORAL_NAMESPACE: { type: 'string', minLength: 1, default: 'default', description: 'Temporal namespace' },
  TEMPORAL_TASK_QUEUE: { type: 'string', minLength: 1, default: 'dossiers', description: 'task queue of the interpreter worker' },
  TEMPORAL_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 7233, description: 'port of the embedded Temporal dev server' },
  TEMPORAL_UI_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 8233, description: 'port of the embedded Temporal Web UI' },
  TEMPORAL_CLI: { type: 'string', description: 'path of the temporal CLI binary (else PATH, else .tools/)' },
  TEMPORAL_TLS: { type: 'boolean', default: false, description: 'connect to Temporal over TLS' },
  TEMPORAL_TLS_CERT: { type: 'string', description: 'client certificate file (mTLS)' },
  TEMPORAL_TLS_KEY: { type: 'string', description: 'client key file (mTLS)' },
  TEMPORAL_API_KEY: { type: 'string', description: 'API key for Temporal Cloud' },
  API_PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port of the API' },
  PUBLIC_URL: { type: 'string', description: 'base URL the API is reached at (default http://localhost:API_PORT)' },
  JWT_SECRET: { type: 'string', minLength: 32, description: 'secret signing officer tokens (at least 32 characters)' },
  TOKEN_TTL: { type: 'string', pattern: '^[0-9]+[smhd]$', default: '8h', description: 'lifetime of a login token, e.g. 8h' },
  STEP_WARNING_LEAD_HOURS: { type: 'number', minimum: 0, default: 2, description: 'warn officers this many hours before a step is due' },
  APOLOGY_LEAD_HOURS: { type: 'number', minimum: 0, default: 4, description: 'open the apology task this many hours before a late appointment' },
  PAYMENT_CALLBACK_SECRET: { type: 'string', minLength: 32, description: 'HMAC key of the payment provider\'s callbacks (generated into DATA_DIR when unset)' },
  HANDOFF_SECRET: { type: 'string', minLength: 32, description: 'HMAC key of handoff packages and partners\' answers (generated into DATA_DIR when unset)' },
  PARTNER_SECRETS: { type: 'string', pattern: '^([^=,]+=[^,]{32,})(,[^=,]+=[^,]{32,})*$', description: 'per-partner HMAC keys, AGENCY=key pairs separated by commas; others use HANDOFF_SECRET' },
  RECONCILIATION_CRON: { type: 'string', minLength: 9, default: '30 0 * * *', description: 'when the daily payment reconciliation runs (cron, Asia/Ho_Chi_Minh), for the day before' },
  SMTP_URL: { type: 'string', description: 'SMTP server for email notifications (smtp://user:pass@host:587, smtps://…); empty keeps mails as .eml files in DATA_DIR/mail through a local SMTP sink' },
  MAIL_FROM: { type: 'string', minLength: 3, default: 'Bộ phận Một cửa <no-reply@motcua.local>', description: 'the From header of notification emails' },
  SMS_GATEWAY_URL: { type: 'string', description: 'SMS gateway endpoint (POST JSON {to, text, key}); empty keeps SMS in the sms_messages table (local gateway)' },
  SMS_GATEWAY_TOKEN: { type: 'string', description: 'bearer token sent to SMS_GATEWAY_URL' },
  PORTAL_URL: { type: 'string', description: 'national portal endpoint receiving status changes (POST JSON); empty sends them to this platform\'s local receiver /api/local-portal/receive' },
  PORTAL_TOKEN: { type: 'string', description: 'bearer token sent to PORTAL_URL' },
  OUTBOX_POLL_MS: { type: 'integer', minimum: 10, default: 1000, description: 'how often the notification and portal dispatchers look for due rows' },
  OUTBOX_RETRY_BASE_MS: { type: 'integer', minimum: 1, default: 5000, description: 'delay before retrying a failed delivery; doubles after each failure' },
  OUTBOX_RETRY_MAX_MS: { type: 'integer', minimum: 1, default: 900000, description: 'longest delay between two delivery attempts' },
  OUTBOX_MAX_ATTEMPTS: { type: 'integer', minimum: 1, default: 8, description: 'attempts before an email/SMS is given up or a portal sync row is flagged stuck' },
  DOCUMENT_MAX_MB: { type: 'number', exclusiveMinimum: 0, default: 10, description: 'largest document or result file accepted, in MB' },
  DOCUMENT_MEDIA_TYPES: { type: 'string', pattern: '^[a-z0-9.+-]+/[a-z0-9.+-]+(,[a-z0-9.+-]+/[a-z0-9.+-]+)*$',
    default: 'application/pdf,image/jpeg,image/png,image/tiff', description: 'media types accepted for documents and results (comma-separated)' },
  PROVINCE_NAME: { type: 'string', minLength: 1, default: 'An Giang', description: 'the province served: postal returns to addresses naming it are due within POSTAL_DUE_HOURS' },
  POSTAL_CALLBACK_SECRET: { type: 'string', minLength: 32, description: 'secret the postal service signs delivery callbacks with (HMAC-SHA256); empty: officers record deliveries' },
  POSTAL_DUE_HOURS: { type: 'number', exclusiveMinimum: 0, default: 24, description: 'hours a postal return inside the province may take before it is flagged late' },
  SYSTEM_NAME: { type: 'string', minLength: 1, default: DEFAULT_SYSTEM_NAME_TEXT,
    description: 'name of the information system, printed on forms and carried by their QR codes' },
  PUBLIC_LOOKUP_LIMIT: { type: 'integer', minimum: 1, default: 30, description: 'public dossier lookups allowed per address per minute' },
  LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', description: 'log level' },
  LOG_FORMAT: { type: 'string', enum: ['auto', 'json', 'pretty'], default: 'auto', description: 'log lines as JSON (for collectors) or readable text; auto: readable on a terminal, JSON otherwise' },
} as const;

type VarName = keyof typeof variables;

export interface Config {
  databaseUrl?: string;
  embeddedPgPort: number;
  /** see EMBEDDED_PG_FALLBACK_DIR */
  embeddedPgFallbackDir: string;
  dataDir: string;
  temporal: {
    address?: string;
    namespace: string;
    taskQueue: string;
    port: number;
    uiPort: number;
    cli?: string;
    tls: boolean;
    tlsCert?: string;
    tlsKey?: string;
    apiKey?: string;
  };
  api: { port: number; publicUrl: string };
  jwtSecret?: string;
  tokenTtl: string;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  dossier: { stepWarningLeadMs: number; apologyLeadMs: number };
  integrations: { paymentSecret?: string; handoffSecret?: string; partnerSecrets: Record<string, string>; reconciliationCron: string };
  delivery: {
    smtpUrl?: string;
    mailFrom: string;
    smsGatewayUrl?: string;
    smsGatewayToken?: string;
    portalUrl?: string;
    portalToken?: string;
    pollMs: number;
    retry: { baseMs: number; maxMs: number; maxAttempts: number };
  };
  documents: { maxBytes: number; mediaTypes: string[] };
  postal: { provinceName: string; dueMs: number; callbackSecret?: string };
  forms: { systemName: string; publicLookupLimit: number };
}

/** The system name on forms and QR codes when none is configured. */
export const DEFAULT_SYSTEM_NAME = DEFAULT_SYSTEM_NAME_TEXT;

/** Thrown when the environment does not describe a valid configuration; lists every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: false });
const validate = ajv.compile({ type: 'object', properties: variables });

/** Parses the platform's configuration from `env`; throws ConfigError naming each invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(variables) as VarName[]) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => {
      const name = e.instancePath.slice(1);
      const spec = variables[name as VarName];
      return `${name}=${JSON.stringify(env[name])}: ${e.message} (${spec?.description ?? ''})`;
    });
    throw new ConfigError(problems);
  }
  const v = raw as Record<string, never>;
  const apiPort = v.API_PORT as number;
  return {
    databaseUrl: v.DATABASE_URL,
    embeddedPgPort: v.EMBEDDED_PG_PORT,
    embeddedPgFallbackDir: resolve(v.EMBEDDED_PG_FALLBACK_DIR as string),
    dataDir: resolve(v.DATA_DIR as string),
    temporal: {
      address: v.TEMPORAL_ADDRESS,
      namespace: v.TEMPORAL_NAMESPACE,
      taskQueue: v.TEMPORAL_TASK_QUEUE,
      port: v.TEMPORAL_PORT,
      uiPort: v.TEMPORAL_UI_PORT,
      cli: v.TEMPORAL_CLI,
      tls: v.TEMPORAL_TLS,
      tlsCert: v.TEMPORAL_TLS_CERT,
      tlsKey: v.TEMPORAL_TLS_KEY,
      apiKey: v.TEMPORAL_API_KEY,
    },
    api: { port: apiPort, publicUrl: (v.PUBLIC_URL as string | undefined) ?? `http://localhost:${apiPort}` },
    jwtSecret: v.JWT_SECRET,
    tokenTtl: v.TOKEN_TTL,
    logLevel: v.LOG_LEVEL,
    logFormat: v.LOG_FORMAT === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : v.LOG_FORMAT,
    dossier: { stepWarningLeadMs: (v.STEP_WARNING_LEAD_HOURS as number) * 3600_000, apologyLeadMs: (v.APOLOGY_LEAD_HOURS as number) * 3600_000 },
    integrations: { paymentSecret: v.PAYMENT_CALLBACK_SECRET, handoffSecret: v.HANDOFF_SECRET, reconciliationCron: v.RECONCILIATION_CRON,
      partnerSecrets: Object.fromEntries(((v.PARTNER_SECRETS as string | undefined) ?? '').split(',').filter(Boolean)
        .map((pair) => [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1)])) },
    delivery: {
      smtpUrl: v.SMTP_URL, mailFrom: v.MAIL_FROM, smsGatewayUrl: v.SMS_GATEWAY_URL, smsGatewayToken: v.SMS_GATEWAY_TOKEN, portalUrl: v.PORTAL_URL, portalToken: v.PORTAL_TOKEN, pollMs: v.OUTBOX_POLL_MS,
      retry: { baseMs: v.OUTBOX_RETRY_BASE_MS, maxMs: v.OUTBOX_RETRY_MAX_MS, maxAttempts: v.OUTBOX_MAX_ATTEMPTS },
    },
    documents: { maxBytes: Math.round((v.DOCUMENT_MAX_MB as number) * 1024 * 1024), mediaTypes: (v.DOCUMENT_MEDIA_TYPES as string).split(',') },
    postal: { provinceName: v.PROVINCE_NAME, dueMs: (v.POSTAL_DUE_HOURS as number) * 3600_000, callbackSecret: v.POSTAL_CALLBACK_SECRET },
    forms: { systemName: v.SYSTEM_NAME, publicLookupLimit: v.PUBLIC_LOOKUP_LIMIT },
  };
}

/** Lists the variables with their defaults and descriptions (for `--help` and the README). */
export function describeConfig(): string {
  return (Object.entries(variables) as [string, { description: string; default?: unknown }][])
    .map(([name, spec]) => `${name}${spec.default !== undefined ? `=${spec.default}` : ''}  ${spec.description}`)
    .join('\n');
}
