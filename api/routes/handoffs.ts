import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Knex } from 'knex';
import { partnerSecret, SIGNATURE_HEADER, type Integrations } from '../../lib/integrations';
import type { Logger } from '../../lib/logger';
import { partnerAnsweredSignal, type PartnerAnswerInput } from '../../workflows/messages';
import { UUID } from '../boundary';
import { ApiError, BadRequestError, ConflictError, NotFoundError, ValidationError } from '../errors';
import { logCallback, requireSignature } from '../services/payments';
import type { Validator } from '../validation';

const answerSchema = {
  type: 'object', additionalProperties: false, required: ['outcome'],
  properties: {
    outcome: { enum: ['done', 'refused'] },
    reason: { type: 'string', minLength: 1, maxLength: 2000 },
    data: { type: 'object' },
    receivedBy: { type: 'string', minLength: 1, maxLength: 200 },
    receivedAt: { type: 'string', format: 'date-time' },
    answeredBy: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

export interface HandoffsRouterDeps {
  db: Knex;
  temporal: Client;
  log: Logger;
  validator: Validator;
  integrations?: Integrations;
}

/**
 * External partners' signed answers to handoffs. The signature is checked over the raw body the input
 * boundary kept (`req.rawBody`), with the partner agency's key.
 */
export function handoffsRouter({ db, temporal, log, validator, integrations }: HandoffsRouterDeps): Router {
  const router = Router();

  router.post('/api/handoffs/:id/result', async (req, res) => {
    const body = req.rawBody ?? Buffer.alloc(0);
    const signature = req.get(SIGNATURE_HEADER);
    const trace = (outcome: string, reason?: string) =>
      logCallback(db, log, { source: 'handoff', outcome, reason, reference: req.params.id, remoteAddress: req.ip, signature, body });
    if (!integrations) throw new ApiError(503, 'NotConfiguredError', 'handoff answers are not configured on this server');
    const hop = UUID.test(req.params.id) ? await db('handoffs').where({ id: req.params.id, kind: 'external' }).first() : undefined;
    if (!hop) {
      await trace('unknown-reference');
      throw new NotFoundError(`no handoff ${req.params.id} to an external partner`);
    }
    await requireSignature(partnerSecret(integrations, hop.to_agency), body, signature, 'the answer', trace);
    let answer: Omit<PartnerAnswerInput, 'handoffId' | 'stepId' | 'iteration'>;
    try {
      answer = validator.check(answerSchema, JSON.parse(body.toString('utf8')), 'the handoff answer');
      if (answer.outcome === 'refused' && !answer.reason?.trim()) {
        throw new ValidationError('the handoff answer is invalid', [{ path: '$.reason', message: 'a refusal needs its reasons' }]);
      }
    } catch (err) {
      await trace('invalid', (err as Error).message);
      if (err instanceof SyntaxError) throw new BadRequestError(`the body is not valid JSON: ${err.message}`);
      throw err;
    }
    if (hop.returned_at) {
      await trace('conflict', `the handoff is already closed (${hop.outcome})`);
      throw new ConflictError(`handoff ${hop.id} is already closed: ${hop.outcome}`, 'HandoffClosedError');
    }
    await temporal.workflow.getHandle(hop.dossier_code).signal(partnerAnsweredSignal,
      { ...answer, handoffId: hop.id, stepId: hop.step_id, iteration: hop.iteration });
    await trace('accepted');
    res.status(202).json({ handoffId: hop.id, dossierCode: hop.dossier_code, outcome: answer.outcome, state: 'delivered' });
  });

  return router;
}
