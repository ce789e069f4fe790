// /v1/campaigns: create (draft), launch, pause, resume, cancel, and progress.
import { Hono } from 'hono';
import type { AppEnv } from '../http/context';
import { idempotent } from '../http/idempotency';
import { requireRole } from '../http/tenancy';
import { jsonBody, uuidParam } from '../http/validate';
import { sha256Hex } from '../lib/ids';
import { campaignBody, campaignProgress, changeStatus, createCampaign, getCampaign, launchCampaign, presentCampaign } from './service';

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

campaignRoutes.post('/:id/launch', write, async (c) => {
  const row = await launchCampaign(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'campaign'));
  return c.json(presentCampaign(row));
});

for (const action of ['pause', 'resume', 'cancel'] as const) {
  campaignRoutes.post(`/:id/${action}`, write, async (c) =>
    c.json(presentCampaign(await changeStatus(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'campaign'), action))),
  );
}
