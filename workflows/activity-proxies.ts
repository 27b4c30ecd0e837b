/**
 * The activity proxies of the dossier workflow, with their timeout and retry profiles. Module-level:
 * the same proxies (and options) for every run, whichever module of the interpreter calls them.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { HandoffActivities } from '../activities/handoffs';
import type { PaymentActivities } from '../activities/payments';
import type { DossierActivities } from '../activities/types';
import type { DocumentActivities } from '../activities/documents-types';

/**
 * Timeout profiles: quick database work, and work that waits on files or other agencies. Retries are
 * bounded (about five minutes of a dependency being away): a step that still fails then waits for ops,
 * visibly, instead of retrying in silence (see `attend` in the context).
 */
const QUICK = { startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 } } as const;
const SLOW = { startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 } } as const;

/** The read model and the calendar, as activities (runs recorded before local activities replay with these). */
export const remoteDb = proxyActivities<DossierActivities>(QUICK);

/**
 * The same, as local activities: short PostgreSQL writes and calendar sums run in the worker within the
 * workflow task, without a round trip through the server each, so an officer's answer comes sooner.
 * Each is idempotent (keyed), so a retry after a worker crash does no harm.
 */
export const localDb = proxyLocalActivities<DossierActivities>({ ...QUICK, localRetryThreshold: '10 seconds' });

export const payments = proxyActivities<PaymentActivities>(QUICK);

/** Showing a failure to ops: tried briefly, never blocking (the search attribute shows it anyway). */
export const attentionFlags = proxyActivities<DossierActivities>({ startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 } });

/** Failure types a caller handles itself: they are outcomes, not failures for ops. */
export const HANDLED_FAILURES = ['PostalAddressMissingError'];

/** Telling a partner that the lead dossier ended: tried for a while, then recorded as undelivered (the dossier still ends). */
export const partnerNotices = proxyActivities<HandoffActivities>({ ...QUICK, scheduleToCloseTimeout: '10 minutes',
  retry: { ...QUICK.retry, initialInterval: '2 seconds' } });

/**
 * Partner agencies answer slowly and sometimes not at all: the package is retried until the step's deadline
 * stops waiting (and at most a week, for a step without one); the hop shows it meanwhile.
 */
export const partners = proxyActivities<HandoffActivities>({ ...SLOW, scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' } });

export const docs = proxyActivities<DocumentActivities>(SLOW);
