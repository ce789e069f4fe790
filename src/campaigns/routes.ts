// /v1/campaigns: create (draft), launch, pause, resume, cancel, and progress.
import { Hono } from 'hono';
import type { AppEnv } from '../http/context';
import { idempotent } from '../http/idempotency';
import { requireRole } from '../http/tenancy';
import { jsonBody, uuidParam } from '../http/validate';
import { sha256Hex } from '../lib/ids';
import { notFound } from '../lib/errors';
import { audit } from '../staff/audit';
import { approveProof, campaignBody, campaignProgress, changeStatus, createCampaign, getCampaign, launchCampaign, presentCampaign, previewCampaign, updateCampaign } from './service';

export const campaignRoutes = new Hono<AppEnv>();
const write = requireRole('admin', 'marketer');

campaignRoutes.post('/', write, async (c) => {
  const input = await jsonBody(c, campaignBody);
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  return idempotent(c, await sha256Hex(JSON.stringify(input)), async () => ({ status: 201, body: presentCampaign(await createCampaign(deps, dealerId, input)) }));
});

campaignRoutes.get('/:id', async (c) => {
  const deps = c.get('deps');
  const row = await getCampaign(deps, c.get('auth').dealerId, uuidParam(c.req.param('id'), 'campaign'));
  return c.json({ ...presentCampaign(row), ...(await campaignProgress(deps, row.id)) });
});

campaignRoutes.put('/:id', write, async (c) => {
  const input = await jsonBody(c, campaignBody);
  return c.json(presentCampaign(await updateCampaign(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'campaign'), input)));
});

/** What launching would do: recipients per channel after consent, suppression and caps; SMS segments and cost; print pieces. */
campaignRoutes.get('/:id/preview', async (c) => c.json(await previewCampaign(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'campaign'))));

campaignRoutes.post('/:id/launch', write, async (c) => {
  const deps = c.get('deps');
  const auth = c.get('auth');
  const row = await launchCampaign(deps, auth.dealerId, uuidParam(c.req.param('id'), 'campaign'));
  await audit(deps.db.orm, deps.clock, { dealerId: auth.dealerId, actor: auth.tokenId, action: 'launch', subject: { type: 'campaign', id: row.id } });
  return c.json(presentCampaign(row));
});

campaignRoutes.post('/:id/waves/:seq/approve-proof', write, async (c) => {
  const seq = Number(c.req.param('seq'));
  if (!Number.isInteger(seq) || seq < 1) throw notFound('print wave');
  const w = await approveProof(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'campaign'), seq, c.get('auth').tokenId);
  return c.json({ seq: w.seq, proofApprovedAt: w.proofApprovedAt!.toISOString() });
});

for (const action of ['pause', 'resume', 'cancel'] as const) {
  campaignRoutes.post(`/:id/${action}`, write, async (c) => {
    const deps = c.get('deps');
    const auth = c.get('auth');
    const row = await changeStatus(deps, auth.dealerId, uuidParam(c.req.param('id'), 'campaign'), action);
    await audit(deps.db.orm, deps.clock, { dealerId: auth.dealerId, actor: auth.tokenId, action, subject: { type: 'campaign', id: row.id } });
    return c.json(presentCampaign(row));
  });
}
