/**
 * The compiled plan: what the interpreter workflow runs. Produced only by `compile()` in
 * `domain/procedure/compile.ts`, stored with each procedure version and copied into every dossier's
 * workflow input, so a running dossier never depends on anything outside its history.
 *
 * Plain JSON only (no Map, Date or class instances): it travels as a Temporal payload.
 */

import type { Assignee, Duration, Fee } from './procedure/definition';

/** Shapes shared with the definition come from the types derived from its JSON Schema. */
export type { Assignee, Duration, Fee };

/** What an outcome does, normalised from the definition's `{}`, `{next}`, `{supplement}`, `{stop}`. */
export type OutcomeEffect =
  /** go on with `next` (null: end the branch, or the process) */
  | { effect: 'next'; next: string | null }
  | { effect: 'supplement' }
  | { effect: 'stop' };

export type JsonSchema = Record<string, unknown>;
export type JsonLogic = unknown;

interface StepBase {
  id: string;
  name: string;
  deadline?: Duration;
  /** the step that follows; null ends the branch (or the process at top level) */
  next: string | null;
}

export interface ReceptionStep extends StepBase {
  kind: 'reception';
  assignee: Assignee;
}

export interface TaskStep extends StepBase {
  kind: 'task';
  assignee: Assignee;
  form?: JsonSchema;
  outcomes: Record<string, OutcomeEffect>;
}

export interface DigitizeStep extends StepBase {
  kind: 'digitize';
  documents: 'all' | string[];
}

export interface PaymentStep extends StepBase {
  kind: 'payment';
  fees: string[];
  onTimeout?: 'stop';
}

export interface HandoffStep extends StepBase {
  kind: 'handoff';
  to: { agency: string };
  procedure?: string;
  endpoint?: string;
  outcomes: Record<string, OutcomeEffect>;
}

export interface ParallelStep extends StepBase {
  kind: 'parallel';
  /** first step id of each branch (null for an empty branch) */
  branches: { start: string | null }[];
}

export interface DecisionStep extends StepBase {
  kind: 'decision';
  cases: { when: JsonLogic; next: string }[];
  otherwise: string;
}

export interface WaitStep extends StepBase {
  kind: 'wait';
  duration: Duration;
  /** the period does not count against the legal time: the appointment date moves by it */
  pausesClock?: boolean;
}

export interface NotifyStep extends StepBase {
  kind: 'notify';
  template: string;
  to: 'applicant' | Assignee;
  channels: ('email' | 'sms' | 'in-app')[];
}

export interface ReturnStep extends StepBase {
  kind: 'return';
  channels?: ('electronic' | 'counter' | 'postal')[];
}

export type PlanStep =
  | ReceptionStep
  | TaskStep
  | DigitizeStep
  | PaymentStep
  | HandoffStep
  | ParallelStep
  | DecisionStep
  | WaitStep
  | NotifyStep
  | ReturnStep;

export type StepKind = PlanStep['kind'];

export interface DocumentSpec {
  code: string;
  name: string;
  required: boolean;
  copies?: number;
}

export interface Plan {
  /** bumps when the plan's own shape changes, so the interpreter can tell old snapshots apart */
  planFormat: 1;
  code: string;
  version: number;
  /** sha-256 of the canonical definition */
  hash: string;
  name: string;
  sector?: string;
  agency: string;
  serviceLevel: 'full-online' | 'partial-online' | 'offline';
  deadline: Duration;
  fees: Fee[];
  documents: DocumentSpec[];
  applicationForm?: JsonSchema;
  returnChannels: ('electronic' | 'counter' | 'postal')[];
  /** id of the first step */
  start: string;
  /** every step of the definition, branches included, by id */
  steps: Record<string, PlanStep>;
}

/** One problem found in a definition. `path` is a JSONPath into the definition, e.g. `$.steps[2].assignee.unit`. */
export interface Problem {
  path: string;
  message: string;
}

/** What the compiler needs to know about the platform to check references. Plain data. */
export interface CompileContext {
  agencies: { code: string; units: string[] }[];
  roles: string[];
  templates: string[];
  /** procedure codes published on this platform (for `handoff.procedure`) */
  procedures: string[];
  /** the owning agency of each published procedure, when known: a handoff's `to.agency` must be it */
  procedureAgencies?: Record<string, string>;
}
