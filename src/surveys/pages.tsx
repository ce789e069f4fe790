// The survey of a reply card, answered online from the card's QR code:
// /l/:token/survey shows the card's questions (from the template version the
// piece was printed from) in the recipient's language and stores the answers
// like a mailed-back card (src/surveys/service.ts), so the card entered later
// by staff is recognised as a second entry. Same protections as the landing
// page: rate limits and body limits (src/landing/routes.tsx, which this app is
// mounted after), a CSRF token per form, every value escaped by hono/jsx.
import { Hono, type Context } from 'hono';
import type { AppEnv, Deps } from '../http/context';
import { AppError } from '../lib/errors';
import { resolveRecipient } from '../landing/booking';
import { checkFormToken, formToken } from '../landing/csrf';
import { pickLocale, type Locale } from '../landing/i18n';
import { Notice, Page, render } from '../landing/pages';
import type { Question, Survey } from '../templates/layout';
import { checkAnswers, enterSurvey, findPiece, surveyEntryOf, surveyOfPiece, type Answers } from './service';

const T = {
  'zh-CN': {
    title: '问卷调查',
    intro: '感谢您抽出时间回答以下问题，您的意见对我们很重要。',
    submit: '提交',
    thanks: '谢谢！我们已收到您的回答。',
    already: '这张卡片的问卷已经提交过了，谢谢您！',
    form: '页面已过期，请重新提交。',
    invalid: '有些回答需要修改：',
    noSurvey: '这张卡片没有问卷。',
    rating: (n: number) => `${n} 分`,
  },
  en: {
    title: 'Survey',
    intro: 'Thank you for taking a moment to answer these questions. Your opinion matters to us.',
    submit: 'Send',
    thanks: 'Thank you! We have received your answers.',
    already: 'The survey of this card has already been answered. Thank you!',
    form: 'This page has expired; please send it again.',
    invalid: 'Some answers need a change:',
    noSurvey: 'This card has no survey.',
    rating: (n: number) => `${n} of 5`,
  },
};

function Field(props: { q: Question; value: Answers[string] | undefined; locale: Locale }) {
  const { q } = props;
  const name = `q_${q.id}`;
  if (q.type === 'text') {
    return (
      <label>
        {q.label}
        <textarea name={name} rows={3} maxlength={1000} style="width:100%;font:inherit;padding:.6rem">
          {typeof props.value === 'string' ? props.value : ''}
        </textarea>
      </label>
    );
  }
  const options = q.type === 'rating' ? ['1', '2', '3', '4', '5'] : (q.options ?? []);
  const picked = (o: string) => (Array.isArray(props.value) ? props.value.includes(o) : String(props.value ?? '') === o);
  return (
    <fieldset style="border:0;padding:0;margin:.8rem 0">
      <legend style="font-weight:600">{q.label}</legend>
      {options.map((o) => (
        <label style="font-weight:400;display:flex;gap:.5rem;align-items:center;margin:.3rem 0">
          <input type={q.type === 'multiple' ? 'checkbox' : 'radio'} name={name} value={o} checked={picked(o)} style="width:auto" />
          {q.type === 'rating' ? T[props.locale].rating(Number(o)) : o}
        </label>
      ))}
    </fieldset>
  );
}

function SurveyPage(props: { locale: Locale; dealerName: string; survey: Survey; csrf: string; action: string; values?: Answers; problems?: string[]; done?: 'thanks' | 'already' }) {
  const t = T[props.locale];
  return (
    <Page locale={props.locale} title={`${props.survey.title ?? t.title} · ${props.dealerName}`}>
      <h1>{props.survey.title ?? t.title}</h1>
      <p class="small">{props.dealerName}</p>
      {props.done ? (
        <p class="ok">{props.done === 'thanks' ? t.thanks : t.already}</p>
      ) : (
        <section>
          <p>{t.intro}</p>
          {props.problems?.length ? (
            <div class="error">
              {t.invalid}
              <ul>
                {props.problems.map((p) => (
                  <li>{p}</li>
                ))}
              </ul>
            </div>
          ) : null}
          <form method="post" action={props.action}>
            <input type="hidden" name="csrf" value={props.csrf} />
            <input type="hidden" name="lang" value={props.locale} />
            {props.survey.questions.map((q) => (
              <Field q={q} value={props.values?.[q.id]} locale={props.locale} />
            ))}
            <button type="submit">{t.submit}</button>
          </form>
        </section>
      )}
    </Page>
  );
}

async function html(c: Context<AppEnv>, el: Parameters<typeof render>[0], status: 200 | 403 | 404 | 422 = 200) {
  return c.html(await render(el), status);
}

export function surveyPageRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const notFound = (c: Context<AppEnv>) => html(c, <Notice kind="notFound" />, 404);

  /** The recipient, the printed piece and its survey behind a card's token; null when any is missing. */
  async function load(token: string) {
    const r = await resolveRecipient(deps, token);
    if (!r || r.channel !== 'mail') return null;
    const piece = await findPiece(deps.db.orm, r.dealerId, { code: token });
    if (!piece) return null;
    const survey = await surveyOfPiece(deps.db.orm, r.dealerId, piece);
    return survey ? { r, piece, survey } : null;
  }

  app.get('/l/:token/survey', async (c) => {
    const token = c.req.param('token');
    const found = await load(token);
    if (!found) return notFound(c);
    const locale = pickLocale(c.req.query('lang'), found.r.contact?.language);
    const { entry } = await surveyEntryOf(deps, found.r.dealerId, { pieceId: found.piece.id });
    const action = `/l/${token}/survey`;
    return html(c, <SurveyPage locale={locale} dealerName={found.r.dealerName} survey={found.survey} csrf={formToken(c, `survey:${token}`)} action={action} done={entry ? 'already' : undefined} />);
  });

  app.post('/l/:token/survey', async (c) => {
    const token = c.req.param('token');
    const found = await load(token);
    if (!found) return notFound(c);
    const form = await c.req.parseBody({ all: true });
    const locale = pickLocale(typeof form.lang === 'string' ? form.lang : undefined, found.r.contact?.language);
    const raw: Record<string, unknown> = {};
    for (const q of found.survey.questions) {
      const v = form[`q_${q.id}`];
      if (v === undefined) continue;
      const list = ([] as unknown[]).concat(v).filter((x): x is string => typeof x === 'string');
      raw[q.id] = q.type === 'multiple' ? list : q.type === 'rating' ? Number(list[0]) : list[0];
    }
    const page = (over: { problems?: string[]; done?: 'thanks' | 'already' }, status: 200 | 403 | 422 = 200) =>
      html(c, <SurveyPage locale={locale} dealerName={found.r.dealerName} survey={found.survey} csrf={formToken(c, `survey:${token}`)} action={`/l/${token}/survey`} values={checkAnswers(found.survey, raw).answers} {...over} />, status);
    if (!checkFormToken(c, `survey:${token}`, form.csrf)) return page({ problems: [T[locale].form] }, 403);
    try {
      await enterSurvey(deps, found.r.dealerId, { ref: { pieceId: found.piece.id }, answers: raw, source: 'online' });
      return page({ done: 'thanks' });
    } catch (e) {
      if (e instanceof AppError && e.code === 'survey_already_entered') return page({ done: 'already' });
      if (e instanceof AppError && e.code === 'invalid_answers') return page({ problems: (e.details as { message: string }[]).map((d) => d.message) }, 422);
      throw e;
    }
  });
  return app;
}
