// /v1/surveys: staff enter mailed-back survey cards by response code.
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/context';
import { requireRole } from '../http/tenancy';
import { jsonBody, parseWith, queryParams } from '../http/validate';
import { enterSurvey, pieceRef, surveyEntryBody, surveyEntryOf } from './service';

export const surveyRoutes = new Hono<AppEnv>();
const write = requireRole('admin', 'marketer');

/** The card a code names: its questions and the entry made so far (null when none), before staff tick the answers. */
surveyRoutes.get('/entries', async (c) => {
  const q = queryParams(c, z.object({ code: z.string().min(1).max(60).optional(), pieceId: z.string().uuid().optional() }));
  const ref = parseWith(pieceRef, q, 'query');
  const r = await surveyEntryOf(c.get('deps'), c.get('auth').dealerId, ref);
  return c.json({ pieceId: r.piece.id, survey: r.survey, entry: r.entry });
});

/**
 * Enter a card's answers: `{code | pieceId, answers: {questionId: answer}, correction?}`.
 * 201 for a new entry; 409 `survey_already_entered` with the first entry when
 * the card was entered before; 200 for a correction.
 */
surveyRoutes.post('/entries', write, async (c) => {
  const input = await jsonBody(c, surveyEntryBody);
  const ref = parseWith(pieceRef, { code: input.code, pieceId: input.pieceId }, 'body');
  const { entry, created } = await enterSurvey(c.get('deps'), c.get('auth').dealerId, {
    ref,
    answers: input.answers,
    source: 'mail',
    enteredBy: c.get('auth').tokenId,
    correction: input.correction,
  });
  return c.json(entry, created ? 201 : 200);
});
