/** The lint rule that keeps imports pointing down the layers fails on one that points up, and allows the contract. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** The layer rule's complaints about `code` as if it were `file` (the real ESLint and configuration, on stdin). */
async function problems(file: string, code: string): Promise<string[]> {
  const run = spawnSync(join(root, 'node_modules', '.bin', 'eslint'), ['--stdin', '--stdin-filename', file, '--format', 'json'],
    { cwd: root, input: code, encoding: 'utf8' });
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string; message: string }[] }[];
  return result.messages.filter((m) => ['@typescript-eslint/no-restricted-imports', 'no-restricted-imports'].includes(m.ruleId))
    .map((m) => m.message);
}

test.each([
  ['lib/probe.ts', "import { createApp } from '../api/app';"],
  ['lib/probe.ts', "import { createWorker } from '../worker';"],
  ['domain/probe.ts', "import { createDb } from '../lib/db';"],
  ['stores/probe.ts', "import { createActivities } from '../activities';"],
  ['activities/probe.ts', "import { createApp } from '../api/app';"],
  ['api/probe.ts', "import { createActivities } from '../activities';"],
  ['api/probe.ts', "import { dossierWorkflow } from '../workflows/dossier';"],
  ['workflows/steps/probe.ts', "import { createDb } from '../../lib/db';"],
])('%s may not import upward: %s', async (file, code) => {
  expect(await problems(file, `${code}\nexport const used = 1;\n`)).toHaveLength(1);
});

test.each([
  ['api/probe.ts', "import { completeTaskUpdate } from '../workflows/messages';"],
  ['stores/probe.ts', "import type { RecordEventInput } from '../activities/types';"],
  ['activities/probe.ts', "import { createCalendarStore } from '../stores/calendar-store';"],
])('%s may import the contract or a lower layer: %s', async (file, code) => {
  expect(await problems(file, `${code}\nexport const used = 1;\n`)).toEqual([]);
});
