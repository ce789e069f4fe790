import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError } from '../lib/errors';
import { errorField, sqlState } from '../lib/log';
import { randomToken } from '../lib/ids';
import type { AppEnv } from './context';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** A request id on every response (echoing a well-formed incoming one) and one log line per request. */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomToken(12);
  const deps = c.get('deps');
  const log = deps.logger.child({ reqId: requestId });
  c.set('requestId', requestId);
  c.set('log', log);
  c.header('X-Request-Id', requestId);
  const started = performance.now();
  await next();
  // An error handler's response is new and lacks it; setting a header on a
  // finished response copies it, so only then.
  if (!c.res.headers.has('X-Request-Id')) c.header('X-Request-Id', requestId);
  // Route pattern, not the URL: query strings may carry search terms. (Not
  // gathered below the level: the pattern is worked out afresh on every read.)
  if (!log.enabled('info')) return;
  log.info('request', {
    method: c.req.method,
    route: c.req.routePath,
    status: c.res.status,
    ms: Math.round(performance.now() - started),
    dealer: c.get('auth')?.dealerId,
  });
};

export function errorResponse(c: Context, err: AppError) {
  return c.json(err.toJSON(), err.status as ContentfulStatusCode);
}

/** Data exceptions (SQLSTATE class 22): a value the database cannot store, e.g. a NUL character. */
const BAD_VALUE = /^22/;

export function onError(err: Error, c: Context<AppEnv>) {
  if (err instanceof AppError) return errorResponse(c, err);
  const state = sqlState(err);
  if (state && BAD_VALUE.test(state)) {
    return errorResponse(c, new AppError(400, 'invalid_value', 'a value in the request cannot be stored (control characters, or a number or date out of range)'));
  }
  // Never the stack or the message of a query error: both can quote personal data.
  c.get('log')?.error('unhandled error', { err: errorField(err) });
  return errorResponse(c, new AppError(500, 'internal', 'internal error; quote the request id when reporting it', {
    requestId: c.get('requestId'),
  }));
}

export function notFoundHandler(c: Context<AppEnv>) {
  return errorResponse(c, new AppError(404, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
}
