import type { Knex } from 'knex';
import { join } from 'node:path';
import { createLocalPostalService } from './postal';
import type { Config } from '../lib/config';
import { resolveIntegrations } from '../lib/integrations';
import { createFileStorage } from '../lib/storage';

/**
 * The outside world as this configuration reaches it: the payment provider's and partners' keys, the
 * file store, the postal service. Built once by each composition root and shared by worker and API.
 */
export function createAdapters(config: Config, db: Knex) {
  return {
    integrations: resolveIntegrations(config),
    storage: createFileStorage(join(config.dataDir, 'documents')),
    postal: createLocalPostalService(db),
  };
}

export type Adapters = ReturnType<typeof createAdapters>;
