import { Router, type Request } from 'express';
import type { Knex } from 'knex';
import type { TemplateRenderer } from '../../stores/notifications-templates';
import { requireOfficer } from '../auth';
import { BadRequestError, NotFoundError, UnauthorizedError } from '../errors';
import { pageOf, queryBool, queryEnum, queryText } from '../params';
import { maskAddress } from '../../lib/mask';

const iso = (v: Date | string | null) => (v ? new Date(v).toISOString() : null);

export function idParam(raw: string): string {
  if (!/^[1-9][0-9]{0,17}$/.test(raw)) throw new BadRequestError(`the id must be a positive integer, not "${raw}"`);
  return raw;
}

/**
 * In-app notifications: the applicant (with the dossier's applicant token) lists their dossier's
 * notifications and marks them read; an officer lists those addressed to their unit and roles. Ops
 * see every channel's delivery state.
 */
export function notificationsRouter(deps: { db: Knex; renderer: TemplateRenderer }): Router {
  const { db, renderer } = deps;
  const router = Router();

  /** The in-app rows the caller may read. */
  function mine(req: Request): Knex.QueryBuilder {
    const p = req.principal;
    if (!p) throw new UnauthorizedError('sign in, or use the applicant token given at submission');
    const q = db('notifications').where({ channel: 'in-app' });
    if (p.kind === 'applicant') return q.where({ recipient_kind: 'applicant', recipient: p.dossierCode });
    return q.where({ recipient_kind: 'unit-role' }).whereIn('recipient', p.roles.map((r) => `${p.agency}/${p.unit}/${r}`));
  }

  const view = (row: Record<string, any>) => {
    let title: string = row.template;
    let text = '';
    try {
      const rendered = renderer.render(row.template, row.data);
      title = rendered.subject;
      text = rendered.sms;
    } catch {
      // a template retired since the row was written: the list still shows the row, by its template name
    }
    return { id: String(row.id), dossierCode: row.dossier_code, template: row.template, title, text,
      createdAt: iso(row.created_at), readAt: iso(row.read_at) };
  };

  router.get('/notifications', async (req, res) => {
    const { page, pageSize, offset } = pageOf(req);
    const unreadOnly = queryBool(req, 'unread');
    const base = () => (unreadOnly ? mine(req).whereNull('read_at') : mine(req));
    const [rows, total, unread] = await Promise.all([
      base().orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(pageSize).offset(offset),
      base().count<{ count: string }[]>({ count: '*' }),
      mine(req).whereNull('read_at').count<{ count: string }[]>({ count: '*' }),
    ]);
    res.json({ items: rows.map(view), total: Number(total[0].count), unread: Number(unread[0].count), page, pageSize });
  });

  router.post('/notifications/:id/read', async (req, res) => {
    const id = idParam(req.params.id);
    await mine(req).where({ id }).whereNull('read_at').update({ read_at: db.fn.now() });
    const row = await mine(req).where({ id }).first();
    if (!row) throw new NotFoundError(`no notification ${id} for you`);
    res.json(view(row));
  });

  router.get('/notifications/deliveries', async (req, res) => {
    requireOfficer(req, 'ops');
    const { page, pageSize, offset } = pageOf(req);
    const state = queryEnum(req, 'state', ['pending', 'sent', 'skipped', 'failed'] as const);
    const channel = queryEnum(req, 'channel', ['email', 'sms', 'in-app'] as const);
    const dossier = queryText(req, 'dossier');
    const q = db('notifications').modify((b) => {
      if (state) b.where({ state });
      if (channel) b.where({ channel });
      if (dossier) b.where({ dossier_code: dossier });
    });
    const rows = await q.clone().orderBy('id', 'desc').limit(pageSize).offset(offset);
    const [{ count }] = await q.clone().count<{ count: string }[]>({ count: '*' });
    res.json({
      items: rows.map((r: Record<string, any>) => ({ id: String(r.id), key: r.key, dossierCode: r.dossier_code, recipient: r.recipient, channel: r.channel,
        template: r.template, state: r.state, address: maskAddress(r.address), attempts: r.attempts, lastError: r.last_error,
        nextAttemptAt: r.state === 'pending' ? iso(r.next_attempt_at) : null, sentAt: iso(r.sent_at), createdAt: iso(r.created_at) })),
      total: Number(count), page, pageSize,
    });
  });
  return router;
}
