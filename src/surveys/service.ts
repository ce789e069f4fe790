// Survey answers: a reply-paid card mailed back (staff type its printed
// response code and tick the answers) or the same survey answered online from
// the card's QR code. Answers are checked against the questions of the
// template version the piece was printed from and stored per question (by
// question id) on a 'survey' response. One card, one entry: a second entry for
// the same piece is refused with the first one shown, unless it is sent as a
// correction.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { rows, type Tx } from '../db';
import type { Deps } from '../http/context';
import { conflict, notFound, unprocessable } from '../lib/errors';
import { parseResponseCode, responseCode } from '../lib/ids';
import { recordResponse } from '../responses/record';
import type { Question, Survey } from '../templates/layout';
import { getVersionById } from '../templates/service';

export type Answer = string | number | string[];
export type Answers = Record<string, Answer>;

/** Which printed piece: its response code (as printed, typed or scanned) or its id. */
export const pieceRef = z
  .object({ code: z.string().min(1).max(60).optional(), pieceId: z.string().uuid().optional() })
  .refine((r) => !!r.code !== !!r.pieceId, 'give exactly one of code or pieceId');
export type PieceRef = z.infer<typeof pieceRef>;

export interface PieceRow {
  id: string;
  token: string;
  contact_id: string;
  print_run_id: string;
  template_version_id: string;
  status: string;
}

/** The dealer's printed piece a code or id names; null when none does. */
export async function findPiece(db: Tx, dealerId: string, ref: PieceRef): Promise<PieceRow | null> {
  let where;
  if (ref.pieceId) where = sql`p.id = ${ref.pieceId}::uuid`;
  else {
    const token = parseResponseCode(ref.code!);
    if (!token) return null;
    where = sql`p.token = ${token}`;
  }
  const [p] = await rows<PieceRow>(
    db,
    sql`SELECT p.id, p.token, p.contact_id, p.print_run_id, r.template_version_id, p.status
        FROM pieces p JOIN print_runs r ON r.id = p.print_run_id AND r.dealer_id = p.dealer_id
        WHERE p.dealer_id = ${dealerId}::uuid AND ${where}`,
  );
  return p ?? null;
}

/** The survey printed on a piece (from its print run's template version); null when the piece has none. */
export async function surveyOfPiece(db: Tx, dealerId: string, piece: PieceRow): Promise<Survey | null> {
  const { body } = await getVersionById(db, dealerId, piece.template_version_id);
  return body.survey ?? null;
}

export interface AnswerProblem {
  path: string;
  message: string;
}

function checkOne(q: Question, v: unknown): { value?: Answer; problem?: string } {
  const options = q.options ?? [];
  switch (q.type) {
    case 'single': {
      const s = typeof v === 'number' && Number.isInteger(v) ? options[v - 1] : typeof v === 'string' ? v.trim() : undefined;
      if (s === undefined || !options.includes(s)) return { problem: `choose one of: ${options.join(', ')}` };
      return { value: s };
    }
    case 'multiple': {
      if (!Array.isArray(v) || v.length === 0) return { problem: 'a list of the ticked options' };
      const out: string[] = [];
      for (const x of v) {
        const s = typeof x === 'number' && Number.isInteger(x) ? options[x - 1] : typeof x === 'string' ? x.trim() : undefined;
        if (s === undefined || !options.includes(s)) return { problem: `"${String(x)}" is not an option (${options.join(', ')})` };
        if (!out.includes(s)) out.push(s);
      }
      return { value: out };
    }
    case 'rating': {
      const n = typeof v === 'string' && /^\s*\d\s*$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 5) return { problem: 'a whole number from 1 to 5' };
      return { value: n };
    }
    case 'text': {
      if (typeof v !== 'string') return { problem: 'text' };
      const s = v.trim();
      if (s.length > 1000) return { problem: 'at most 1,000 characters' };
      return s ? { value: s } : {};
    }
  }
}

/**
 * Answers checked against the questions: unknown questions, options that are
 * not on the card, ratings outside 1–5 are problems; unanswered questions are
 * fine (cards come back half filled), but at least one answer is needed.
 * Choices may be given as the option's text or its 1-based number.
 */
export function checkAnswers(survey: Survey, raw: Record<string, unknown>): { answers: Answers; problems: AnswerProblem[] } {
  const answers: Answers = {};
  const problems: AnswerProblem[] = [];
  const byId = new Map(survey.questions.map((q) => [q.id, q]));
  for (const [id, v] of Object.entries(raw)) {
    const q = byId.get(id);
    if (!q) {
      problems.push({ path: `answers.${id}`, message: 'no such question on this card' });
      continue;
    }
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    const r = checkOne(q, v);
    if (r.problem) problems.push({ path: `answers.${id}`, message: `"${q.label}": ${r.problem}` });
    else if (r.value !== undefined) answers[id] = r.value;
  }
  if (problems.length === 0 && Object.keys(answers).length === 0) problems.push({ path: 'answers', message: 'no question is answered' });
  return { answers, problems };
}

export const surveyEntryBody = z.object({
  code: z.string().min(1).max(60).optional(),
  pieceId: z.string().uuid().optional(),
  answers: z.record(z.string().max(40), z.unknown()),
  /** Replace the answers of a card entered before (a correction), instead of being refused. */
  correction: z.boolean().default(false),
});

export interface SurveyEntry {
  responseId: string;
  pieceId: string;
  responseCode: string;
  source: 'mail' | 'online';
  answers: Answers;
  enteredAt: string;
  enteredBy: string | null;
  corrected: boolean;
}

interface SurveyResponseRow {
  id: string;
  data: { answers?: Answers; source?: 'mail' | 'online'; enteredBy?: string | null; correctedAt?: string };
  occurred_at: Date | string;
}

/** The first survey response of a piece: its entry (a correction updates it in place). */
async function firstEntry(db: Tx, dealerId: string, pieceId: string): Promise<SurveyResponseRow | undefined> {
  const [first] = await rows<SurveyResponseRow>(
    db,
    sql`SELECT id, data, occurred_at FROM responses WHERE dealer_id = ${dealerId}::uuid AND piece_id = ${pieceId}::uuid AND kind = 'survey' ORDER BY occurred_at LIMIT 1`,
  );
  return first;
}

function presentEntry(piece: PieceRow, r: SurveyResponseRow): SurveyEntry {
  return {
    responseId: r.id,
    pieceId: piece.id,
    responseCode: responseCode(piece.token),
    source: r.data.source ?? 'mail',
    answers: r.data.answers ?? {},
    enteredAt: new Date(r.occurred_at).toISOString(),
    enteredBy: r.data.enteredBy ?? null,
    corrected: !!r.data.correctedAt,
  };
}

/**
 * Record a card's answers (staff entry, source 'mail') or the online survey's
 * (source 'online'). The piece row is locked for the entry, so two people
 * entering the same card at once get one entry and one refusal.
 */
export async function enterSurvey(
  deps: Deps,
  dealerId: string,
  input: { ref: PieceRef; answers: Record<string, unknown>; source: 'mail' | 'online'; enteredBy?: string | null; correction?: boolean },
): Promise<{ entry: SurveyEntry; created: boolean }> {
  const db = deps.db.orm;
  const piece = await findPiece(db, dealerId, input.ref);
  if (!piece || piece.status !== 'rendered') throw notFound('printed piece with this response code');
  const survey = await surveyOfPiece(db, dealerId, piece);
  if (!survey) throw unprocessable('no_survey', 'this piece was printed without a survey');
  const { answers, problems } = checkAnswers(survey, input.answers);
  if (problems.length) throw unprocessable('invalid_answers', 'some answers do not fit the card', problems);
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT 1 FROM pieces WHERE id = ${piece.id}::uuid FOR UPDATE`);
    const first = await firstEntry(tx, dealerId, piece.id);
    const now = deps.clock.now();
    if (first) {
      if (!input.correction) {
        throw conflict('survey_already_entered', `this card's answers were entered ${first.data.source === 'online' ? 'online' : 'from the mailed card'} on ${new Date(first.occurred_at).toISOString().slice(0, 10)}; send it as a correction to replace them`, {
          existing: presentEntry(piece, first),
        });
      }
      const data = { ...first.data, answers, correctedAt: now.toISOString(), correctedBy: input.enteredBy ?? null, previousAnswers: first.data.answers ?? {} };
      await tx.execute(sql`UPDATE responses SET data = ${JSON.stringify(data)}::jsonb WHERE id = ${first.id}::uuid AND dealer_id = ${dealerId}::uuid`);
      return { entry: presentEntry(piece, { ...first, data }), created: false };
    }
    const r = await recordResponse(tx, deps.clock, {
      dealerId,
      kind: 'survey',
      source: { pieceId: piece.id },
      data: { answers, source: input.source, enteredBy: input.enteredBy ?? null },
    });
    if (!r) throw notFound('printed piece');
    return { entry: presentEntry(piece, { id: r.id, data: { answers, source: input.source, enteredBy: input.enteredBy ?? null }, occurred_at: r.occurredAt }), created: true };
  });
}

/** The entry of a card, if any. */
export async function surveyEntryOf(deps: Deps, dealerId: string, ref: PieceRef): Promise<{ piece: PieceRow; survey: Survey | null; entry: SurveyEntry | null }> {
  const db = deps.db.orm;
  const piece = await findPiece(db, dealerId, ref);
  if (!piece) throw notFound('printed piece with this response code');
  const first = await firstEntry(db, dealerId, piece.id);
  return { piece, survey: await surveyOfPiece(db, dealerId, piece), entry: first ? presentEntry(piece, first) : null };
}
