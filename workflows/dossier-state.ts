/**
 * The dossier's state inside its run: status, open tasks, data, what the messages brought in, the settle
 * accounting, and the view the query and the updates answer with.
 */
import type { CancellationScope } from '@temporalio/workflow';
import { DossierStatus, type DossierStatusCode } from '../domain/status';
import type {
  Actor,
  AttentionInfo,
  CompleteTaskInput,
  DossierSettings,
  DossierView,
  DossierWorkflowInput,
  PartnerAnswerInput,
  PostalDeliveredInput,
  ResumeState,
  SupplementInput,
} from './messages';

export const SYSTEM: Actor = { username: 'system' };
const HOUR = 3600_000;

export const DEFAULT_SETTINGS: DossierSettings = {
  stepWarningLeadMs: 2 * HOUR,
  apologyLeadMs: 4 * HOUR,
  historyLimit: 10_000,
};

export interface DossierResult {
  status: DossierStatusCode;
}

export interface OpenTask {
  taskId: string;
  stepId: string;
  /** outcome name → effect name used for validation (`next`, `supplement`, `stop`, `refuse`) */
  effects: Record<string, string>;
  completion?: CompleteTaskInput;
  /** an Update carrying its completion has been accepted (the completion may still be on its way into the history) */
  accepted?: boolean;
  consumed: boolean;
}

/** An external handoff whose partner still has the dossier: told when the dossier ends early. */
export interface ExternalHop {
  stepId: string;
  iteration: number;
  endpoint: string;
  toAgency: string;
}

/** Ends the dossier from anywhere in the plan (refusal, stop, withdrawal). */
export class EndDossier extends Error {
  constructor(readonly status: DossierStatusCode, readonly actor: Actor, readonly reason: string, readonly stepId?: string) {
    super(`dossier ends with status ${status}`);
  }
}

/** Raised at a safe point when the history is long: the run continues as new from `nextStep`. */
export class Continue extends Error {
  constructor(readonly nextStep: string) {
    super('continue as new');
  }
}

/** Everything the interpreter knows of the dossier; what a continuation carries over is its `ResumeState` part. */
export interface DossierState extends Pick<ResumeState, 'status' | 'eventCount' | 'appointmentAt' | 'originalAppointmentAt'
  | 'overdue' | 'supplementCount' | 'lastActor'> {
  /** a wait the law does not count is running: the legal clock stands still, as in a supplement */
  clockPaused: boolean;
  current: Set<string>;
  openTasks: Record<string, OpenTask>;
  iterations: Record<string, number>;
  data: { application: Record<string, unknown>; steps: Record<string, unknown> };
  supplement?: SupplementInput;
  ending?: EndDossier;
  /** a stop has been accepted (it may still be on its way into the history) */
  stopping: boolean;
  paid: Set<string>;
  awaitingPayment: boolean;
  paymentSignals: number;
  /** partner dossiers (handoffs) still running */
  children: Set<string>;
  /** external handoffs awaiting an answer (`step:iteration`), and the answers received */
  expectedAnswers: Set<string>;
  partnerAnswers: Record<string, PartnerAnswerInput>;
  /** postal deliveries reported, by order id */
  postalDeliveries: Record<string, PostalDeliveredInput>;
  /** external handoffs whose partner still has the dossier, by handoff id */
  openExternal: Record<string, ExternalHop>;
  // The interpreter is "settled" when every running sequence waits on a person, a signal or a timer,
  // and no message it has accepted is still waiting to be acted on.
  running: number;
  blocked: number;
  unconsumed: number;
  finished: boolean;
  /** bumps whenever the appointment date moves, so the lateness watcher re-plans */
  appointmentVersion: number;
  /** a step that failed for good, waiting for ops; repairs asked for so far */
  attention?: AttentionInfo;
  attentionShown: boolean;
  repairs: number;
  appointmentWatch?: CancellationScope[];
}

export function createState(input: DossierWorkflowInput): DossierState {
  const resume = input.resume;
  return {
    status: resume?.status ?? DossierStatus.Submitted,
    eventCount: resume?.eventCount ?? 0,
    appointmentAt: resume?.appointmentAt,
    originalAppointmentAt: resume?.originalAppointmentAt,
    overdue: resume?.overdue ?? false,
    supplementCount: resume?.supplementCount ?? 0,
    clockPaused: false,
    lastActor: resume?.lastActor ?? SYSTEM,
    current: new Set<string>(),
    openTasks: {},
    iterations: { ...resume?.iterations },
    data: { application: input.application, steps: { ...resume?.stepData } },
    stopping: false,
    paid: new Set<string>(),
    awaitingPayment: false,
    paymentSignals: 0,
    children: new Set<string>(),
    expectedAnswers: new Set<string>(),
    partnerAnswers: {},
    postalDeliveries: {},
    openExternal: {},
    running: 1,
    blocked: 0,
    unconsumed: 0,
    finished: false,
    appointmentVersion: 0,
    attentionShown: false,
    repairs: 0,
  };
}

export const settled = (s: DossierState) => s.finished || (s.blocked >= s.running && s.unconsumed === 0);

export const view = (s: DossierState): DossierView => ({
  status: s.status,
  overdue: s.overdue,
  currentSteps: [...s.current],
  appointmentAt: s.appointmentAt,
  openTasks: Object.values(s.openTasks)
    .filter((t) => !t.completion && !t.accepted)
    .map((t) => ({ taskId: t.taskId, stepId: t.stepId, outcomes: Object.keys(t.effects) })),
  ...(s.attention ? { attention: s.attention } : {}),
});

/** Next iteration of a step (1 the first time), counted in the state. */
export function nextIteration(s: DossierState, stepId: string): number {
  const iteration = (s.iterations[stepId] ?? 0) + 1;
  s.iterations[stepId] = iteration;
  return iteration;
}

export const now = () => new Date().toISOString();
/** Legal time is counted in whole minutes, as the forms write it. */
export const nowToMinute = () => new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
export const msUntil = (instant: string) => Math.max(0, Date.parse(instant) - Date.now());
