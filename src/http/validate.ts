import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError, issuesToDetails, notFound, validationError } from '../lib/errors';
import { isUuid } from '../lib/ids';

/** Parse the JSON body with a zod schema; a 400 names every bad path. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new AppError(400, 'invalid_json', 'request body must be JSON');
  }
  return parseWith(schema, raw, 'body');
}

export function queryParams<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  return parseWith(schema, c.req.query(), 'query');
}

export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    throw validationError(`invalid ${where}`, issuesToDetails(r.error.issues));
  }
  return r.data;
}

/** A path id that must be a UUID; anything else is simply not found. */
export function uuidParam(s: string | undefined, what: string): string {
  if (!s || !isUuid(s)) throw notFound(what);
  return s;
}
