/**
 * The API tests' shared helpers for officers and their inboxes: polling until something shows, finding
 * a dossier's task in an officer's inbox (by the inbox's `dossier` filter, so other tests' tasks in the
 * shared inboxes never get in the way), completing it over HTTP, and signing the demo accounts in.
 */
import { DEMO_PASSWORD } from './env';
import type { HttpClient } from './http';

/** How long {@link eventually} keeps trying: `tries` looks, `intervalMs` apart (by default 300 × 100 ms). */
export interface PollOptions {
  tries?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it gives a value that is not `undefined`, `null` or `false` (the read model, a
 * partner server or a dispatcher follows a moment later), and returns that value.
 *
 * @param probe - one look; `undefined`, `null` or `false` mean "not yet"
 * @param what - what is awaited, for the error message
 * @param options - how many looks, how far apart
 * @throws Error `timed out waiting for <what>` after the last look
 */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, what: string,
  { tries = 300, intervalMs = 100 }: PollOptions = {}): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (i < tries - 1) await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A task as the inbox (`GET /api/tasks`) lists it. */
export interface InboxTask {
  id: string;
  dossierCode: string;
  stepId: string;
  [field: string]: any;
}

/**
 * One look at the inbox of the officer with `token` for a task of `dossierCode` (at `stepId` if given):
 * the {@link InboxTask}, or `undefined` when there is none right now. For tests that check the inbox at
 * once (typed loosely, as those tests read the task's fields straight off the answer).
 *
 * @throws Error when the inbox does not answer 200
 */
export async function inboxTask(http: HttpClient, token: string, dossierCode: string, stepId?: string): Promise<any> {
  const inbox = await http.get<{ items: InboxTask[] }>(`/api/tasks?dossier=${encodeURIComponent(dossierCode)}&pageSize=200`, token);
  if (inbox.status !== 200) throw new Error(`the inbox answered ${inbox.status}: ${JSON.stringify(inbox.body)}`);
  return inbox.body.items.find((t) => t.dossierCode === dossierCode && (stepId === undefined || t.stepId === stepId));
}

/**
 * Polls the inbox of the officer with `token` until it shows a task of `dossierCode` (at `stepId` if
 * given), and returns it.
 *
 * @throws Error `timed out waiting for the <step> task of <dossier>` when it never shows
 */
export function findTask(http: HttpClient, token: string, dossierCode: string, stepId?: string): Promise<InboxTask> {
  return eventually(() => inboxTask(http, token, dossierCode, stepId), `the ${stepId ?? 'open'} task of ${dossierCode}`);
}

/**
 * Finds the task of `stepId` on `dossierCode` in the inbox of the officer with `token` (see
 * {@link findTask}), completes it with `body` (`POST /api/tasks/{id}/complete`) and returns the answer's
 * body (`{ dossier, ... }`: the dossier as the workflow left it).
 *
 * @throws Error with the status and body when the completion does not answer 200
 */
export async function completeTask<T = any>(http: HttpClient, token: string, dossierCode: string, stepId: string, body: object): Promise<T> {
  const task = await findTask(http, token, dossierCode, stepId);
  const res = await http.post<T>(`/api/tasks/${task.id}/complete`, body, token);
  if (res.status !== 200) throw new Error(`completing the ${stepId} task of ${dossierCode}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Signs in the demo accounts `usernames` (all with {@link DEMO_PASSWORD}), at once; their tokens in the
 * same order.
 */
export function loginDemo(http: HttpClient, ...usernames: string[]): Promise<string[]> {
  return Promise.all(usernames.map((u) => http.login(u, DEMO_PASSWORD)));
}
