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
  SYSTEM_NAME: { type: 'string', minLength: 1, default: DEFAULT_SYSTEM_NAME_TEXT,
    description: 'name of the information system, printed on forms and carried by their QR codes' },
  PUBLIC_LOOKUP_LIMIT: { type: 'integer', minimum: 1, default: 30, description: 'public dossier lookups allowed per address per minute' },
  LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', description: 'log level' },
} as const;

type VarName = keyof typeof variables;

export interface Config {
  databaseUrl?: string;
  embeddedPgPort: number;
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
  dossier: { stepWarningLeadMs: number; apologyLeadMs: number };
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
    dossier: { stepWarningLeadMs: (v.STEP_WARNING_LEAD_HOURS as number) * 3600_000, apologyLeadMs: (v.APOLOGY_LEAD_HOURS as number) * 3600_000 },
    forms: { systemName: v.SYSTEM_NAME, publicLookupLimit: v.PUBLIC_LOOKUP_LIMIT },
  };
}

/** Lists the variables with their defaults and descriptions (for `--help` and the README). */
export function describeConfig(): string {
  return (Object.entries(variables) as [string, { description: string; default?: unknown }][])
    .map(([name, spec]) => `${name}${spec.default !== undefined ? `=${spec.default}` : ''}  ${spec.description}`)
    .join('\n');
}
