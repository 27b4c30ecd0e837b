import { Connection, Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import type { Config } from './config';
import { SEARCH_ATTRIBUTE_TYPES } from '../domain/search-attributes';

const GRPC_UNIMPLEMENTED = 12;

type TemporalConfig = Config['temporal'] & { address: string };

function tlsOptions(cfg: TemporalConfig) {
  if (!cfg.tls && !cfg.tlsCert && !cfg.apiKey) return undefined;
  if (cfg.tlsCert && cfg.tlsKey) {
    return { clientCertPair: { crt: readFileSync(cfg.tlsCert), key: readFileSync(cfg.tlsKey) } };
  }
  return true as const;
}

/** A client connection for the API and tools. */
export async function connectClient(cfg: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({ address: cfg.address, tls: tlsOptions(cfg), apiKey: cfg.apiKey });
  return new Client({ connection, namespace: cfg.namespace });
}

/** A worker connection. */
export async function connectWorker(cfg: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: cfg.address, tls: tlsOptions(cfg), apiKey: cfg.apiKey });
}

/**
 * Registers the platform's search attributes on the namespace; the ones already there are left alone,
 * so this is safe at every start and against an external cluster.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const { operatorService } = client.connection;
  let known = new Set<string>();
  try {
    const existing = await operatorService.listSearchAttributes({ namespace });
    known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  } catch (err) {
    // the time-skipping test server can add search attributes but not list them
    if ((err as { code?: number }).code !== GRPC_UNIMPLEMENTED) throw err;
  }
  const typeIds: Record<string, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 };
  const missing = Object.entries(SEARCH_ATTRIBUTE_TYPES).filter(([name]) => !known.has(name));
  if (missing.length === 0) return;
  await operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, typeIds[type]])),
  });
}

type HistoryReverse = Awaited<ReturnType<Connection['workflowService']['getWorkflowExecutionHistoryReverse']>>;
type HistoryEvent = NonNullable<NonNullable<HistoryReverse['history']>['events']>[number];

/**
 * What `pick` finds in the newest event of a run that has it, reading the run's history backwards (at most
 * `limit` events): e.g. the reason ops gave when they cancelled or terminated it.
 */
export async function fromNewestEvent<T>(service: Connection['workflowService'], namespace: string,
  execution: { workflowId: string; runId?: string }, pick: (e: HistoryEvent) => T | null | undefined, limit = 100): Promise<T | undefined> {
  const { history } = await service.getWorkflowExecutionHistoryReverse({ namespace, execution, maximumPageSize: limit });
  for (const event of history?.events ?? []) {
    const found = pick(event);
    if (found !== undefined && found !== null) return found;
  }
  return undefined;
}
