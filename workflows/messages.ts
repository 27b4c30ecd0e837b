/**
 * The dossier workflow's public surface: its type name, input, and messages. The API imports this
 * module, never the workflow body. Names are part of recorded histories: never rename them.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Plan } from '../domain/plan';
import type { DossierStatusCode } from '../domain/status';

export const DOSSIER_WORKFLOW = 'dossierWorkflow';

export interface Actor {
  /** account name (`tencanhan.tendonvi`), `applicant`, or `system` */
  username: string;
  fullName?: string;
}

/** Lead times and limits of a run; defaults in the workflow, overridable per start (tests, provinces). */
export interface DossierSettings {
  /** warn the assignee and the unit's leader this much working time before a step is due */
  stepWarningLeadMs: number;
  /** open the apology task this much working time before the appointment when the dossier is still in progress */
  apologyLeadMs: number;
  /** continue as new once the history has this many events, at the next safe point */
  historyLimit: number;
  /** a postal return inside the province is late after this long (default 24 hours) */
  postalDueMs?: number;
}

/** What a run hands over to its continuation (continue-as-new), so the dossier goes on unchanged. */
export interface ResumeState {
  nextStep: string;
  status: DossierStatusCode;
  eventCount: number;
  appointmentAt?: string;
  originalAppointmentAt?: string;
  overdue: boolean;
  supplementCount: number;
  iterations: Record<string, number>;
  stepData: Record<string, unknown>;
  lastActor: Actor;
}

export interface DossierWorkflowInput {
  dossierCode: string;
  plan: Plan;
  channel: 'online' | 'counter' | 'postal';
  returnChannel: 'electronic' | 'counter' | 'postal';
  /** ISO instant the dossier was submitted */
  submittedAt: string;
  /** the applicant's form (readable by decisions and templates) */
  application: Record<string, unknown>;
  /** set when an officer received the dossier at the counter: reception is accepted at once by them */
  receivedBy?: Actor;
  settings?: Partial<DossierSettings>;
  /** set by continue-as-new */
  resume?: ResumeState;
}

export interface StopInput {
  actor: Actor;
  reason: string;
}

export interface CompleteTaskInput {
  taskId: string;
  outcome: string;
  data?: Record<string, unknown>;
  comment?: string;
  actor: Actor;
  /**
   * The request's key (derived from the caller and its `Idempotency-Key`): a retry of the same request
   * is recognised, and answered with the original result, never applied twice.
   */
  requestKey?: string;
}

/** A step whose activity failed for good: the dossier waits for ops to repair (retry) or cancel it. */
export interface AttentionInfo {
  /** the activity that failed */
  activity: string;
  /** the failure's type, e.g. `DataError`, `ActivityRetriesExhausted` */
  type: string;
  message: string;
  /** the steps the dossier was at */
  steps: string[];
  since: string;
}

export interface DossierView {
  status: DossierStatusCode;
  overdue: boolean;
  /** steps now waiting on someone or something */
  currentSteps: string[];
  appointmentAt?: string;
  openTasks: { taskId: string; stepId: string; outcomes: string[] }[];
  /** set while a step has failed for good and waits for ops */
  attention?: AttentionInfo;
}

/** Ops ask a dossier whose step failed for good to try it again (after fixing the cause). */
export interface RepairInput {
  actor: Actor;
  note?: string;
}

export interface SupplementInput {
  actor: Actor;
  documents?: string[];
  note?: string;
}

export interface WithdrawInput {
  actor: Actor;
  reason: string;
}

/** An officer completes a human task; answers once the workflow has applied it and settled. */
export const completeTaskUpdate = defineUpdate<DossierView, [CompleteTaskInput]>('completeTask');
/** The applicant has supplemented the requested documents; the legal clock resumes. */
export const supplementSignal = defineSignal<[SupplementInput]>('supplement');
export interface PaymentConfirmedInput {
  feeCode: string;
  actor: Actor;
  channel: 'counter' | 'online' | 'bank-transfer' | 'postal';
  receiptNo?: string;
}

/** A fee has been paid (counter confirmation or the payment provider's callback). */
export const paymentConfirmedSignal = defineSignal<[PaymentConfirmedInput]>('paymentConfirmed');
/** The applicant withdraws the dossier (status 7). */
export const withdrawSignal = defineSignal<[WithdrawInput]>('withdraw');
export interface PostalDeliveredInput {
  /** the postal service's order id */
  orderId: string;
  /** ISO instant of the delivery, as the post reports it */
  deliveredAt: string;
  receivedBy?: string;
  /** who confirmed it: the post's callback, or the officer recording its report */
  actor: Actor;
}

/** The post has delivered the result (return by post); the dossier ends with status 10. */
export const postalDeliveredSignal = defineSignal<[PostalDeliveredInput]>('postalDelivered');
export const getDossierQuery = defineQuery<DossierView>('getDossier');
/** An officer stops processing (status 8) at any point; answers once the dossier has ended. */
export const stopDossierUpdate = defineUpdate<DossierView, [StopInput]>('stopDossier');

/** Retries the step that failed for good (ops, from the API or the Temporal UI's "Send signal"). */
export const repairDossierSignal = defineSignal<[RepairInput]>('repairDossier');

/** Failure types (ApplicationFailure.type) the API maps to HTTP answers. */
export const FailureTypes = {
  taskNotOpen: 'TaskNotOpenError',
  unknownOutcome: 'UnknownOutcomeError',
  reasonRequired: 'ReasonRequiredError',
  dossierEnded: 'DossierEndedError',
} as const;

/** Outcomes whose effect requires the officer to give written reasons. */
export const REASONED_EFFECTS = ['supplement', 'stop', 'refuse'] as const;

/** Waits until the dossier has settled (every branch waits on someone or something) and returns it. */
export const observeDossierUpdate = defineUpdate<DossierView, []>('observeDossier');

/** Step kinds this interpreter version runs; publishing refuses a plan using any other. */
export const SUPPORTED_STEP_KINDS: readonly string[] = ['reception', 'task', 'digitize', 'payment', 'handoff', 'parallel',
  'decision', 'wait', 'notify', 'return'];

/** An external partner's answer to a handoff (`POST /api/handoffs/{id}/result`, signed). */
export interface PartnerAnswerInput {
  handoffId: string;
  stepId: string;
  iteration: number;
  outcome: 'done' | 'refused';
  reason?: string;
  data?: Record<string, unknown>;
  /** who at the partner took the dossier in, and when */
  receivedBy?: string;
  receivedAt?: string;
  /** who at the partner answered */
  answeredBy?: string;
}

/** An external partner agency has answered a handoff. */
export const partnerAnsweredSignal = defineSignal<[PartnerAnswerInput]>('partnerAnswered');

/** The daily payment reconciliation's workflow type (run by a Temporal Schedule, or on demand). */
export const RECONCILIATION_WORKFLOW = 'reconciliationWorkflow';
