/**
 * Recorded workflow histories: `RECORD_HISTORIES=1 npx jest test/workflow` saves the runs of the
 * workflow tests into test/histories/ (protobuf binary), and test/workflow/replay.test.ts replays every one of them
 * against today's workflow code, so a change that would break running dossiers fails the build.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

/** Saves every run of the dossier's workflow (a continued run gives several files) when recording. */
export async function keepHistory(client: Client, name: string, dossierCode: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const runIds: string[] = [];
  try {
    for await (const run of client.workflow.list({ query: `WorkflowId = '${dossierCode}'` })) runIds.push(run.runId);
  } catch {
    // the time-skipping test server cannot list: its single run is enough
    runIds.push((await client.workflow.getHandle(dossierCode).describe()).runId);
  }
  for (const [i, runId] of runIds.entries()) {
    const history = await client.workflow.getHandle(dossierCode, runId).fetchHistory();
    // protobuf binary: exact, compact, and independent of JSON field naming across SDK versions
    writeFileSync(join(HISTORIES_DIR, `${name}${i ? `-run${i}` : ''}.history.bin`),
      temporal.api.history.v1.History.encode(history).finish());
  }
}
