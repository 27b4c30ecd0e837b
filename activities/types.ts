/**
 * The activity contract between the interpreter workflow and the outside world. Workflows import
 * these types only (`import type`); `createActivities(deps)` implements them.
 */
import type { Duration, Fee, Plan } from '../domain/plan';
import type { Actor, AttentionInfo } from '../workflows/messages';

/** Changes to the dossier's row that come with an event; only the fields given are written. */
export interface DossierPatch {
  status?: number;
  currentSteps?: string[];
  acceptedAt?: string;
  appointmentAt?: string;
  originalAppointmentAt?: string;
  overdue?: boolean;
  finishedAt?: string;
  returnedAt?: string;
  supplementCount?: number;
}

export interface RecordEventInput {
  dossierCode: string;
  /** unique per dossier; a retry with the same key has no second effect */
  key: string;
  type: string;
  fromStatus?: number;
  toStatus?: number;
  stepId?: string;
  actor: Actor;
  reason?: string;
  data?: Record<string, unknown>;
  at: string;
  dossier?: DossierPatch;
}

export interface OpenTaskInput {
  /** made by the workflow, so it knows the task before the row exists */
  taskId: string;
  dossierCode: string;
  stepId: string;
  iteration: number;
  stepKind: string;
  stepName: string;
  procedureCode: string;
  agencyCode: string;
  unitCode: string;
  role: string;
  dueAt?: string;
  /** outcome name → its effect (`next`, `supplement`, `stop`, `refuse`), so the API knows which need reasons */
  outcomes: Record<string, string>;
  form?: Record<string, unknown>;
}

export interface CloseTaskInput {
  taskId: string;
  outcome: string;
  data?: Record<string, unknown>;
  comment?: string;
  actor: Actor;
  at: string;
  /** the completing request's key (see `CompleteTaskInput.requestKey`) */
  requestKey?: string;
}

export interface NotifyInput {
  /** unique; a retry with the same key sends nothing twice */
  key: string;
  dossierCode: string;
  to: { applicant: true } | { unit: string; role: string; agency: string };
  template: string;
  channels: ('email' | 'sms' | 'in-app')[];
  data: Record<string, unknown>;
}

export interface LinkedDossier {
  code: string;
  plan: Plan;
  application: Record<string, unknown>;
  submittedAt: string;
}

export interface DossierActivities {
  /** Digitizes the dossier's documents of a step (all, or the listed codes), once; returns what was digitized and what is missing. */
  digitize(input: { dossierCode: string; stepId: string; documents: 'all' | string[]; actor: Actor }): Promise<{ digitized: string[]; missing: string[] }>;
  /** Creates a payment request per fee, once per dossier and fee; returns the fees still unpaid. */
  requestPayments(input: { dossierCode: string; fees: Fee[] }): Promise<{ unpaid: string[] }>;
  /** The fee codes of the dossier still unpaid among `feeCodes`. */
  unpaidFees(input: { dossierCode: string; feeCodes: string[] }): Promise<string[]>;
  /** Registers the partner's dossier for a handoff to a procedure published on this platform (once per step and iteration). */
  createLinkedDossier(input: { parentCode: string; stepId: string; iteration: number; procedureCode: string; toAgency: string;
    actor: Actor; dueAt?: string }): Promise<LinkedDossier>;
  /** Records how a handoff came back. */
  closeHandoff(input: { parentCode: string; stepId: string; iteration: number; outcome: string; at: string }): Promise<void>;
  /** The instant when `lead` of working time remains before `duration` after `from` runs out; null when the duration is shorter than the lead. */
  computeWarning(input: { agencyCode: string; from: string; duration: Duration; leadMs: number }): Promise<string | null>;
  /** Who answers for a unit's delays: the unit's leader, else the agency's leadership unit. */
  responsibleLeader(input: { agencyCode: string; unitCode: string }): Promise<{ unit: string; role: string }>;
  /** Queues a notification for delivery on its channels, once per key (activities/notifications.ts). */
  notify(input: NotifyInput): Promise<void>;
  /** Appends an event to the dossier's history and applies its patch, once per key. */
  recordEvent(input: RecordEventInput): Promise<void>;
  /** The instant `duration` after `from` on the agency's business calendar. */
  computeDue(input: { agencyCode: string; from: string; duration: Duration }): Promise<string>;
  /** `instant` moved later by the working time between `pausedFrom` and `pausedTo` (a supplement pause). */
  shiftByPause(input: { agencyCode: string; instant: string; pausedFrom: string; pausedTo: string }): Promise<string>;
  /** Opens the task of a human step, once per dossier, step and iteration. */
  openTask(input: OpenTaskInput): Promise<void>;
  /** Records a task's completion; a no-op when already recorded. */
  closeTask(input: CloseTaskInput): Promise<void>;
  /** The reason ops gave when they cancelled this run in the Temporal UI, or null. */
  cancellationCause(input: { workflowId: string; runId: string }): Promise<string | null>;
  /** Shows (or, with null, clears) a step that failed for good on the dossier's row, and counts it. */
  flagAttention(input: { dossierCode: string; attention: AttentionInfo | null }): Promise<void>;
  /** Cancels every task and payment request still open on the dossier (when it ends early). */
  cancelOpenTasks(input: { dossierCode: string; reason: string }): Promise<number>;
}
