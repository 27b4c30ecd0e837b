import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { STATUS_LABELS, type DossierStatusCode } from '../../domain/status';
import { completeTaskUpdate, FailureTypes, REASONED_EFFECTS, type DossierView } from '../../workflows/messages';
import type { Principal } from '../auth';
import { UUID } from '../boundary';
import { ConflictError, ForbiddenError, NotFoundError, ServiceUnavailableError, ValidationError } from '../errors';
import type { Validator } from '../validation';

type Officer = Principal & { kind: 'officer' };

export interface CompleteTaskBody {
  outcome: string;
  data?: Record<string, unknown>;
  comment?: string;
}

export const completeTaskSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['outcome'],
  properties: {
    outcome: { type: 'string', minLength: 1 },
    data: { type: 'object' },
    comment: { type: 'string', maxLength: 4000 },
  },
} as const;

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

function present(t: Record<string, any>) {
  return {
    id: t.id, dossierCode: t.dossier_code, procedureCode: t.procedure_code, stepId: t.step_id, stepName: t.step_name,
    stepKind: t.step_kind, iteration: t.iteration, agency: t.agency_code, unit: t.unit_code, role: t.role, state: t.state,
    claimedBy: t.claimed_by, dueAt: iso(t.due_at), priority: t.priority, outcomes: Object.keys(t.outcomes),
    form: t.form, createdAt: iso(t.created_at), outcome: t.outcome, completedBy: t.completed_by, completedAt: iso(t.completed_at),
  };
}

/** How recent a task must be for a refusal by its workflow to count as the workflow catching up after a crash. */
const CATCH_UP_MS = 10 * 60_000;

export interface TaskServiceDeps {
  db: Knex;
  temporal: Client;
  validator: Validator;
  /** called once the workflow has accepted a completion (metrics) */
  onCompleted?(task: { procedureCode: string; agency: string; unit: string; createdAt: string | Date }): void;
}

export function createTaskService({ db, temporal, validator, onCompleted }: TaskServiceDeps) {
  async function load(id: string) {
    if (!UUID.test(id)) throw new NotFoundError(`no task ${id}`);
    const task = await db('tasks').where({ id }).first();
    if (!task) throw new NotFoundError(`no task ${id}`);
    return task;
  }

  /** Claims, releases and assignments go into the dossier's history too (the control slip is built from it). */
  async function recordAction(task: Record<string, any>, officer: Officer, type: string, data: Record<string, unknown> = {}) {
    await db('dossier_events').insert({ dossier_code: task.dossier_code, event_key: `api-${randomUUID()}`, type, step_id: task.step_id,
      actor: officer.username, actor_name: officer.fullName, data: JSON.stringify({ taskId: task.id, ...data }), at: new Date().toISOString() });
  }

  function mayTake(officer: Officer, task: Record<string, any>): void {
    if (task.agency_code !== officer.agency || task.unit_code !== officer.unit || !officer.roles.includes(task.role)) {
      throw new ForbiddenError(`this task is for role ${task.role} of unit ${task.unit_code} (${task.agency_code})`);
    }
  }

  /**
   * The answer to a retried completion that this very request (same caller and key) already applied:
   * the first Update's own result while the run still holds it, else the dossier as the read model has it.
   */
  async function replayCompletion(task: Record<string, any>, updateId: string): Promise<Pick<DossierView, 'status' | 'currentSteps' | 'appointmentAt'>> {
    try {
      return await temporal.workflow.getHandle(task.dossier_code).getUpdateHandle<DossierView>(updateId).result();
    } catch {
      // the run has moved on (continued as new or ended): the read model follows it
      const row = await db('dossiers').where({ code: task.dossier_code }).first();
      return { status: row.status, currentSteps: row.current_steps ?? [],
        appointmentAt: row.appointment_at ? new Date(row.appointment_at).toISOString() : undefined };
    }
  }

  /**
   * Whether the workflow refused a task the read model shows open because it is replaying after a crash: the task
   * was opened by a workflow task that died before it was recorded, and the retried one opens it again (same id)
   * in a moment. Only for a task opened lately; an older disagreement is answered as it is (409).
   */
  async function catchingUp(err: unknown, task: Record<string, any>): Promise<boolean> {
    const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
    if (!(cause instanceof ApplicationFailure) || cause.type !== FailureTypes.taskNotOpen || cause.details?.[0] !== 'unknown') return false;
    const now = await db('tasks').where({ id: task.id }).first('state', 'created_at');
    return Boolean(now && ['open', 'claimed'].includes(now.state) && Date.now() - new Date(now.created_at).getTime() < CATCH_UP_MS);
  }

  return {
    /** Open tasks the officer's unit and roles may take, filtered and paged. */
    async inbox(officer: Officer, q: { state?: string; procedure?: string; dossier?: string; dueBefore?: string; page: number; pageSize: number }) {
      const query = db('tasks')
        .where({ agency_code: officer.agency, unit_code: officer.unit })
        .whereIn('role', officer.roles);
      if (q.state) query.andWhere({ state: q.state });
      else query.whereIn('state', ['open', 'claimed']);
      if (q.procedure) query.andWhere({ procedure_code: q.procedure });
      if (q.dossier) query.andWhere({ dossier_code: q.dossier });
      if (q.dueBefore) query.andWhere('due_at', '<', q.dueBefore);
      const [{ count }] = await query.clone().count({ count: '*' });
      const rows = await query.orderBy([{ column: 'priority', order: 'desc' }, { column: 'due_at', order: 'asc', nulls: 'last' },
        { column: 'created_at' }]).limit(q.pageSize).offset((q.page - 1) * q.pageSize);
      return { total: Number(count), page: q.page, pageSize: q.pageSize, items: rows.map(present) };
    },

    async get(officer: Officer, id: string) {
      const task = await load(id);
      mayTake(officer, task);
      return present(task);
    },

    async claim(officer: Officer, id: string) {
      const task = await load(id);
      mayTake(officer, task);
      if (task.state === 'claimed' && task.claimed_by === officer.username) return present(task);
      const [updated] = await db('tasks').where({ id, state: 'open' })
        .update({ state: 'claimed', claimed_by: officer.username, claimed_at: db.fn.now() }).returning('*');
      if (!updated) throw new ConflictError(`task ${id} is ${task.state}${task.claimed_by ? ` by ${task.claimed_by}` : ''}`);
      await recordAction(task, officer, 'task-claimed');
      return present(updated);
    },

    async release(officer: Officer, id: string) {
      const task = await load(id);
      mayTake(officer, task);
      const leader = officer.roles.includes('leader');
      const query = db('tasks').where({ id, state: 'claimed' });
      if (!leader) query.andWhere({ claimed_by: officer.username });
      const [updated] = await query.update({ state: 'open', claimed_by: null, claimed_at: null }).returning('*');
      if (!updated) throw new ConflictError(`task ${id} is not claimed by you`);
      await recordAction(task, officer, 'task-released', { claimedBy: task.claimed_by });
      return present(updated);
    },

    /** A leader of the task's unit hands it to another officer of the unit who holds the task's role. */
    async assign(officer: Officer, id: string, raw: unknown) {
      const body = validator.check<{ username: string }>({ type: 'object', additionalProperties: false, required: ['username'],
        properties: { username: { type: 'string', minLength: 1 } } }, raw, 'the assignment');
      const task = await load(id);
      if (task.agency_code !== officer.agency || task.unit_code !== officer.unit || !officer.roles.includes('leader')) {
        throw new ForbiddenError(`only a leader of unit ${task.unit_code} may assign its tasks`);
      }
      const assignee = await db('accounts').join('account_roles', 'account_roles.username', 'accounts.username')
        .where({ 'accounts.username': body.username, 'accounts.agency_code': task.agency_code, 'accounts.unit_code': task.unit_code,
          'account_roles.role': task.role, 'accounts.disabled': false }).first('accounts.username');
      if (!assignee) {
        throw new ValidationError('the assignment is invalid', [{ path: '$.username',
          message: `${body.username} is not an active ${task.role} of unit ${task.unit_code}` }]);
      }
      const [updated] = await db('tasks').where({ id }).whereIn('state', ['open', 'claimed'])
        .update({ state: 'claimed', claimed_by: body.username, claimed_at: db.fn.now() }).returning('*');
      if (!updated) throw new ConflictError(`task ${id} is already ${task.state}`, 'TaskNotOpenError');
      await recordAction(task, officer, 'task-assigned', { to: body.username });
      return present(updated);
    },

    /**
     * Completes a task: checks the caller, the outcome, the reasons and the form data here, then sends
     * the workflow an Update whose validator re-checks the task's state; answers with the new status.
     */
    async complete(officer: Officer, id: string, raw: unknown, requestKey: string = randomUUID()) {
      const body = validator.check<CompleteTaskBody>(completeTaskSchema, raw, 'the completion');
      const task = await load(id);
      mayTake(officer, task);
      // one Update id per request: a retry of a completion whose answer was lost attaches to the first Update
      const updateId = `complete:${id}:${requestKey}`;
      const answer = (view: Pick<DossierView, 'status' | 'currentSteps' | 'appointmentAt'>) => ({
        taskId: id,
        dossier: { code: task.dossier_code, status: view.status, statusLabel: STATUS_LABELS[view.status as DossierStatusCode],
          currentSteps: view.currentSteps, appointmentAt: view.appointmentAt ?? null },
      });
      if (task.state === 'completed' && task.completion_key === requestKey) return answer(await replayCompletion(task, updateId));
      if (task.state === 'completed' || task.state === 'cancelled') throw new ConflictError(`task ${id} is already ${task.state}`, 'TaskNotOpenError');
      if (task.state === 'claimed' && task.claimed_by !== officer.username) {
        throw new ConflictError(`task ${id} is claimed by ${task.claimed_by}`, 'TaskClaimedError');
      }
      const effects = task.outcomes as Record<string, string>;
      const problems = [];
      const effect = effects[body.outcome];
      if (!effect) problems.push({ path: '$.outcome', message: `"${body.outcome}" is not an outcome of this step (${Object.keys(effects).join(', ')})` });
      if (effect && (REASONED_EFFECTS as readonly string[]).includes(effect) && !body.comment?.trim()) {
        problems.push({ path: '$.comment', message: `outcome "${body.outcome}" needs the reasons in comment` });
      }
      // the step's form is the appraisal of a dossier that goes on; sending it back or stopping needs reasons only
      if (task.form && effect === 'next') {
        try {
          validator.check(task.form, body.data ?? {}, 'the task form', '$.data');
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          problems.push(...(err.details ?? []));
        }
      }
      if (problems.length) throw new ValidationError('the completion is invalid', problems);
      let view: DossierView;
      try {
        view = await temporal.workflow.getHandle(task.dossier_code).executeUpdate(completeTaskUpdate, {
          updateId,
          args: [{ taskId: id, outcome: body.outcome, data: body.data, comment: body.comment,
            actor: { username: officer.username, fullName: officer.fullName }, requestKey }],
        });
      } catch (err) {
        if (await catchingUp(err, task)) {
          throw new ServiceUnavailableError('the dossier is catching up after a restart and has not opened this task again yet; ' +
            'retry shortly with the same Idempotency-Key');
        }
        throw err;
      }
      onCompleted?.({ procedureCode: task.procedure_code, agency: task.agency_code, unit: task.unit_code, createdAt: task.created_at });
      return answer(view);
    },
  };
}

export type TaskService = ReturnType<typeof createTaskService>;
