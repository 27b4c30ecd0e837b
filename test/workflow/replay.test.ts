/**
 * Every recorded history in test/histories/ replays without a nondeterminism error against today's
 * workflow code: running dossiers survive a deploy. Change workflow behaviour behind `patched()`.
 */
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installTestRuntime } from '../support/env';
import { HISTORIES_DIR } from '../support/histories';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.history.bin')).sort();

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(8);
});

test('every recorded history replays against the current workflow code', async () => {
  installTestRuntime();
  const histories = files.map((f) => ({ workflowId: f.replace(/\.history\.bin$/, ''),
    history: temporal.api.history.v1.History.decode(readFileSync(join(HISTORIES_DIR, f))) }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
});
