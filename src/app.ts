// The Hono app, built from injected dependencies. The route tree follows the
// data's path: lists (imports, contacts) → segments → campaigns → … → reports.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { campaignRoutes } from './campaigns/routes';
import { emailRoutes } from './channels/email-routes';
import { webhookRoutes } from './channels/webhooks';
import { contactRoutes, suppressionRoutes } from './contacts/routes';
import { dealerRoutes } from './dealers/routes';
import type { AppEnv, Deps } from './http/context';
import { notFoundHandler, onError, requestContext } from './http/middleware';
import { requireAuth, requireRole } from './http/tenancy';
import { importRoutes } from './imports/routes';
import { publicRoutes } from './landing/routes';
import { bookingStaffRoutes } from './landing/staff';
import { runImport } from './imports/service';
import { AppError } from './lib/errors';
import { downloadRoutes, printRunRoutes } from './print/routes';
import { runPrintRun } from './print/runs';
import { responseRoutes } from './responses/routes';
import { returnRoutes } from './print/returns-routes';
import { salesRoutes } from './sales/routes';
import { reportRoutes, unitCostRoutes } from './reports/routes';
import { segmentRoutes } from './segments/routes';
import { auditRoutes, authRoutes, loginHandler, tokenRoutes, userRoutes } from './staff/routes';
import { surveyPageRoutes } from './surveys/pages';
import { surveyRoutes } from './surveys/routes';
import { assetRoutes, printProfileRoutes, templateRoutes } from './templates/routes';
import { staffWeb } from './web/routes';

export function createApp(deps: Deps) {
  deps.jobs.register('import', (id, signal) => runImport(deps, id, signal));
  deps.jobs.register('print-run', (id, signal) => runPrintRun(deps, id, signal));

  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    await next();
  });
  app.use('*', requestContext);
  app.onError(onError);
  app.notFound(notFoundHandler);

  // Browsers ask for it on every page; no icon, and no 404 in their consoles.
  app.get('/favicon.ico', (c) => c.body(null, 204, { 'Cache-Control': 'max-age=86400' }));
  app.get('/health', async (c) => c.json({ ok: true, db: deps.db.kind, time: deps.clock.now().toISOString() }));

  const api = new Hono<AppEnv>();
  // Signing in is the one API call without credentials (before requireAuth, so it never runs for it).
  api.post('/auth/login', ...loginHandler(deps));
  api.use('*', requireAuth);
  // JSON bodies are small; list uploads stream through their own limit.
  api.use('*', async (c, next) => {
    if ((c.req.path.endsWith('/imports') || c.req.path.endsWith('/assets')) && c.req.method === 'POST') return next();
    return bodyLimit({
      maxSize: 1024 * 1024,
      onError: () => {
        throw new AppError(413, 'payload_too_large', 'request body is larger than 1 MB');
      },
    })(c, next);
  });
  // Lists, segments and templates hold personal data or drive sends: printers
  // see only the print jobs released to them (src/print/routes.ts).
  for (const path of ['/imports', '/contacts', '/suppressions', '/segments', '/templates', '/assets', '/dealer/print-profile', '/dealer/unit-costs', '/reports', '/campaigns', '/surveys', '/sales', '/returns', '/responses', '/booking', '/bookings']) {
    api.use(path, requireRole('admin', 'marketer', 'manager'));
    api.use(`${path}/*`, requireRole('admin', 'marketer', 'manager'));
  }
  api.route('/auth', authRoutes);
  api.route('/users', userRoutes);
  api.route('/api-tokens', tokenRoutes);
  api.route('/audit', auditRoutes);
  api.route('/dealer', dealerRoutes);
  api.route('/imports', importRoutes);
  api.route('/contacts', contactRoutes);
  api.route('/suppressions', suppressionRoutes);
  api.route('/segments', segmentRoutes);
  api.route('/templates', templateRoutes);
  api.route('/assets', assetRoutes);
  api.route('/dealer/print-profile', printProfileRoutes);
  api.route('/print-runs', printRunRoutes);
  api.route('/campaigns', campaignRoutes);
  api.route('/reports', reportRoutes);
  api.route('/dealer/unit-costs', unitCostRoutes);
  api.route('/surveys', surveyRoutes);
  api.route('/returns', returnRoutes);
  api.route('/sales', salesRoutes);
  api.route('/responses', responseRoutes);
  api.route('/', bookingStaffRoutes);
  app.route('/v1', api);
  // The staff web app: pages over the same services and session as the API.
  app.get('/app/', (c) => c.redirect('/app', 301));
  app.route('/app', staffWeb(deps));
  // What recipients open: tracking links, landing and booking pages, opt-out.
  app.route('/', publicRoutes(deps));
  app.route('/', surveyPageRoutes(deps));
  // Signed, time-limited print downloads (the signature is the credential).
  app.route('/dl', downloadRoutes);
  app.route('/webhooks', webhookRoutes);
  app.route('/', emailRoutes);
  return app;
}
