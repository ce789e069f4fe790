// The print shop's portal: a printer sees the print jobs released to them,
// downloads each file, the manifest and the job ticket through time-limited
// signed links (every download is in the audit log), and marks the job printed
// and then mailed with the mail date. Other roles see every print run of the
// dealer; marketers and admins release finished jobs to the print shop and may
// mark them on its behalf, as the API allows (POST /v1/print-runs/:id/…).
import { Hono } from 'hono';
import { sql } from 'drizzle-orm';
import { rows } from '../db';
import type { Role } from '../http/context';
import { localDate } from '../lib/clock';
import { isUuid } from '../lib/ids';
import { downloadLinks, listPrintRuns, presentPrintRun, RELEASED_JOB_STATUSES, runLabel, visiblePrintRun, type PrintRunRow } from '../print/runs';
import type { WebContext, WebEnv } from './context';
import { tr, words, type WebLocale } from './i18n';
import { ErrorBox, fmtDate, fmtInt, fmtTime, notFoundPage, page, pageRole, Shell, fmtBytes } from './kit';

export const printPages = new Hono<WebEnv>();

const JOB: Record<string, [string, string]> = {
  pending_approval: ['待放行', 'Awaiting release'],
  released: ['已放行，待下载', 'Released, not yet downloaded'],
  downloaded: ['已下载', 'Downloaded'],
  printed: ['已印刷', 'Printed'],
  mailed: ['已寄出', 'Mailed'],
};
const RUN: Record<string, [string, string]> = {
  queued: ['排队中', 'Queued'],
  rendering: ['生成中', 'Rendering'],
  completed: ['文件已就绪', 'Files ready'],
  failed: ['失败', 'Failed'],
  cancelled: ['已取消', 'Cancelled'],
};
const say = (l: WebLocale, map: Record<string, [string, string]>, key: string | null) => (key && map[key] ? tr(l, map[key][0], map[key][1]) : key ?? '—');

/** Roles that may mark a job printed and mailed (the API's rule), and release it. */
const SHOP: Role[] = ['admin', 'marketer', 'printer'];
const RELEASERS: Role[] = ['admin', 'marketer'];

/** The site-relative form of a signed link (it works from this origin under any host name). */
const relative = (url: string) => url.replace(/^https?:\/\/[^/]+/, '');

interface RunNames {
  campaign: Map<string, { name: string; seq: number | null }>;
}

/** Campaign and wave names of the runs (not shown to printers: they see the job, not the campaign). */
async function namesOf(c: WebContext, runs: PrintRunRow[]): Promise<RunNames> {
  const viewer = c.get('viewer');
  const waveIds = [...new Set(runs.map((r) => r.waveId).filter((x): x is string => !!x))];
  if (viewer.role === 'printer' || waveIds.length === 0) return { campaign: new Map() };
  const found = await rows<{ id: string; seq: number; name: string }>(
    c.get('deps').db.orm,
    sql`SELECT w.id, w.seq, c.name FROM waves w JOIN campaigns c ON c.id = w.campaign_id AND c.dealer_id = w.dealer_id
        WHERE w.dealer_id = ${viewer.dealerId}::uuid AND w.id = ANY(${sql.param(waveIds)}::uuid[])`,
  );
  return { campaign: new Map(found.map((f) => [f.id, { name: f.name, seq: f.seq }])) };
}

function Job(props: { c: WebContext; run: PrintRunRow; names: RunNames; single?: boolean }) {
  const { c, run } = props;
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const p = presentPrintRun(run);
  const ticket = (run.ticket ?? null) as null | { trim?: { widthMm: number; heightMm: number }; bleedMm?: number; stock?: unknown; colour?: string; pdfStandard?: string; presort?: string; quantity?: number; pagesPerPiece?: number; title?: string };
  const camp = run.waveId ? props.names.campaign.get(run.waveId) : undefined;
  const ready = run.status === 'completed';
  const label = `${tr(l, '任务', 'Job')} ${runLabel(run.id)}`;
  const links = ready ? downloadLinks(c.get('deps'), run, `user:${viewer.userId}`, viewer.role) : null;
  const linkOf = (name: string) => links?.links.find((x) => x.name === name)?.url;
  const job = run.jobStatus;
  const canShop = SHOP.includes(viewer.role);
  const today = localDate(c.get('deps').clock.now(), viewer.timezone);
  const pages = run.files.reduce((n, f) => n + f.pages, 0);
  const stock = ticket?.stock == null ? null : typeof ticket.stock === 'string' ? ticket.stock : JSON.stringify(ticket.stock);
  return (
    <section class="card" id={`run-${run.id}`} data-run={run.id} data-job-status={job ?? ''} data-run-status={run.status}>
      <h2>
        {props.single ? label : <a href={`/app/print/${run.id}`}>{label}</a>} · {p.template.name ?? ''}{' '}
        <span class="badge" data-status>
          {job ? say(l, JOB, job) : say(l, RUN, run.status)}
        </span>
      </h2>
      {camp && (
        <p class="muted">
          {tr(l, '活动', 'Campaign')}: <a href={`/app/reports/${run.campaignId}`}>{camp.name}</a>
          {camp.seq ? tr(l, ` · 第 ${camp.seq} 波`, ` · wave ${camp.seq}`) : ''}
          {run.variant ? tr(l, ` · 版本 ${run.variant}`, ` · variant ${run.variant}`) : ''}
        </p>
      )}
      {!ready && (
        <p class={run.status === 'failed' ? 'error' : 'muted'}>
          {say(l, RUN, run.status)}
          {run.status === 'rendering' || run.status === 'queued' ? ` · ${p.progress.percent}%` : ''}
          {run.error ? ` · ${run.error}` : ''}
        </p>
      )}
      <div class="stats">
        <div>
          <div class="muted">{tr(l, '份数', 'Pieces')}</div>
          <div class="stat">{fmtInt(l, run.piecesRendered)}</div>
        </div>
        <div>
          <div class="muted">{tr(l, '排除', 'Left out')}</div>
          <div class="stat">{fmtInt(l, run.piecesExcluded)}</div>
        </div>
        <div>
          <div class="muted">{tr(l, '文件 / 页数', 'Files / pages')}</div>
          <div class="stat">
            {fmtInt(l, run.files.length)} / {fmtInt(l, pages)}
          </div>
        </div>
      </div>
      <table class="timeline">
        <tbody>
          <tr>
            <th>{tr(l, '放行', 'Released')}</th>
            <td data-at="released">{fmtTime(viewer, l, run.releasedAt)}</td>
            <th>{tr(l, '首次下载', 'First download')}</th>
            <td data-at="downloaded">{fmtTime(viewer, l, run.downloadedAt)}</td>
          </tr>
          <tr>
            <th>{tr(l, '印刷完成', 'Printed')}</th>
            <td data-at="printed">{fmtTime(viewer, l, run.printedAt)}</td>
            <th>{tr(l, '寄出日期', 'Mailed on')}</th>
            <td data-at="mailed" id={`mailed-${run.id}`}>
              {fmtDate(viewer, l, run.mailedOn)}
            </td>
          </tr>
        </tbody>
      </table>
      {ticket && (
        <p class="muted" data-ticket>
          {tr(l, '工单', 'Ticket')}: {ticket.trim ? `${ticket.trim.widthMm}×${ticket.trim.heightMm} mm` : ''}
          {ticket.bleedMm != null ? tr(l, ` · 出血 ${ticket.bleedMm} mm`, ` · bleed ${ticket.bleedMm} mm`) : ''}
          {ticket.pagesPerPiece ? tr(l, ` · 每份 ${ticket.pagesPerPiece} 页`, ` · ${ticket.pagesPerPiece} pages a piece`) : ''}
          {stock ? ` · ${stock}` : ''}
          {ticket.colour ? ` · ${ticket.colour}` : ''}
          {ticket.pdfStandard ? ` · ${ticket.pdfStandard}` : ''}
          {ticket.presort ? tr(l, ` · 按邮编排序`, ` · presorted by postcode`) : ''}
          {ticket.quantity != null ? tr(l, ` · 数量 ${ticket.quantity}`, ` · quantity ${ticket.quantity}`) : ''}
        </p>
      )}
      {links && (
        <>
          <table data-files>
            <thead>
              <tr>
                <th>{tr(l, '文件', 'File')}</th>
                <th class="num">{tr(l, '份数', 'Pieces')}</th>
                <th class="num">{tr(l, '页数', 'Pages')}</th>
                <th class="num">{tr(l, '序号', 'Sequence')}</th>
                <th class="num">{tr(l, '大小', 'Size')}</th>
                <th>SHA-256</th>
              </tr>
            </thead>
            <tbody>
              {run.files.map((f) => (
                <tr>
                  <td>
                    <a href={relative(linkOf(f.name) ?? '')} download={f.name} data-download={f.name}>
                      {f.name}
                    </a>
                  </td>
                  <td class="num">{fmtInt(l, f.pieces)}</td>
                  <td class="num">{fmtInt(l, f.pages)}</td>
                  <td class="num">
                    {f.firstSeq}–{f.lastSeq}
                  </td>
                  <td class="num">{fmtBytes(l, f.bytes)}</td>
                  <td class="muted">
                    <code>{f.sha256.slice(0, 16)}…</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="actions">
            {(
              [
                ['manifest.csv', tr(l, '名单（manifest.csv）', 'Manifest (manifest.csv)')],
                ['ticket.json', tr(l, '工单（ticket.json）', 'Job ticket (ticket.json)')],
                ['excluded.csv', tr(l, '排除清单（excluded.csv）', 'Left out (excluded.csv)')],
              ] as const
            ).map(([name, label]) => (
              <a class="button secondary" href={relative(linkOf(name) ?? '')} download={name} data-download={name}>
                {label}
              </a>
            ))}
          </p>
          <p class="muted" data-links-expire={links.expiresAt}>
            {tr(l, `下载链接有效期至 ${fmtTime(viewer, l, links.expiresAt)}，过期后请刷新页面获取新链接。每次下载都会记录在审计日志中。`, `The download links work until ${fmtTime(viewer, l, links.expiresAt)}; reload the page for new ones. Every download is recorded in the audit log.`)}
          </p>
        </>
      )}
      <ErrorBox />
      <div class="actions">
        {ready && RELEASERS.includes(viewer.role) && (job === null || job === 'pending_approval') && (
          <button type="button" data-api={`/v1/print-runs/${run.id}/release`} data-action="release" data-confirm={tr(l, '将此任务放行给印刷厂？', 'Release this job to the print shop?')}>
            {tr(l, '放行给印刷厂', 'Release to the print shop')}
          </button>
        )}
        {ready && canShop && (job === 'released' || job === 'downloaded') && (
          <button type="button" data-api={`/v1/print-runs/${run.id}/printed`} data-action="printed" data-confirm={tr(l, '确认已印刷完成？', 'Mark this job printed?')}>
            {tr(l, '标记为已印刷', 'Mark printed')}
          </button>
        )}
      </div>
      {ready && canShop && job === 'printed' && (
        <form data-api={`/v1/print-runs/${run.id}/mailed`} data-action="mailed" class="row">
          <div>
            <label for={`mailed-on-${run.id}`}>{tr(l, '寄出日期', 'Mailed on')}</label>
            <input id={`mailed-on-${run.id}`} type="date" name="mailedOn" value={today} max={today} required />
          </div>
          <div>
            <button type="submit">{tr(l, '标记为已寄出', 'Mark mailed')}</button>
          </div>
          <ErrorBox />
        </form>
      )}
    </section>
  );
}

const PAGE = 30;

printPages.get('/print', pageRole('admin', 'marketer', 'manager', 'printer'), async (c) => {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const before = c.req.query('before');
  const found = await listPrintRuns(deps, viewer, { newestFirst: true, before: before && isUuid(before) ? before : undefined, limit: PAGE + 1 });
  const shown = found.slice(0, PAGE);
  const names = await namesOf(c, shown);
  const printer = viewer.role === 'printer';
  // Jobs waiting on the print shop first, then the rest (newest first within each).
  const open = (r: PrintRunRow) => (printer ? r.jobStatus !== 'mailed' : r.jobStatus !== 'mailed' && r.status !== 'cancelled' && r.status !== 'failed');
  const ordered = [...shown.filter(open), ...shown.filter((r) => !open(r))];
  return page(
    c,
    <Shell c={c} title={printer ? tr(l, '印刷任务', 'Print jobs') : tr(l, '印刷任务与印刷批次', 'Print jobs and runs')} active="print">
      <p class="muted">
        {printer
          ? tr(l, '这里是经销商放行给您的印刷任务：下载文件、名单和工单，印刷后标记“已印刷”，交邮后填写寄出日期并标记“已寄出”。', 'These are the print jobs the dealer released to you: download the files, manifest and ticket; mark the job printed, then mailed with the day it went into the mail.')
          : tr(l, '经销商的全部印刷批次。活动的印刷任务需放行后印刷厂才能看到。', 'Every print run of the dealer. A campaign’s print job is visible to the print shop once released.')}
      </p>
      {ordered.length === 0 && (
        <section class="card">
          <p class="muted" id="no-jobs">
            {printer ? tr(l, '目前没有放行给您的印刷任务。', 'No print job has been released to you yet.') : tr(l, '还没有印刷批次。', 'No print runs yet.')}
          </p>
        </section>
      )}
      {ordered.map((run) => (
        <Job c={c} run={run} names={names} />
      ))}
      {found.length > PAGE && (
        <p class="actions">
          <a class="button secondary" href={`/app/print?before=${shown[shown.length - 1]!.id}`}>
            {tr(l, '更早的任务', 'Older jobs')}
          </a>
        </p>
      )}
    </Shell>,
  );
});

printPages.get('/print/:id', pageRole('admin', 'marketer', 'manager', 'printer'), async (c) => {
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const id = c.req.param('id');
  if (!isUuid(id)) return notFoundPage(c);
  const run = await visiblePrintRun(c.get('deps'), viewer, id);
  const names = await namesOf(c, [run]);
  return page(
    c,
    <Shell c={c} title={`${tr(l, '印刷任务', 'Print job')} ${runLabel(run.id)}`} active="print">
      <p class="muted">
        <a href="/app/print">← {words(l).nav.print}</a>
        {(RELEASED_JOB_STATUSES as readonly string[]).includes(run.jobStatus ?? '') ? '' : viewer.role === 'printer' ? '' : ` · ${tr(l, '印刷厂尚不可见', 'not visible to the print shop yet')}`}
      </p>
      <Job c={c} run={run} names={names} single />
    </Shell>,
  );
});
