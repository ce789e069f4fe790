import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError, badRequest, issuesToDetails, notFound, payloadTooLarge, validationError } from '../lib/errors';
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

/** The request body as bytes, refused with 413 past `maxBytes` (read as it arrives, never buffered beyond the limit). */
export async function rawBody(c: Context, maxBytes: number, what = 'the file'): Promise<Uint8Array> {
  const body = c.req.raw.body;
  if (!body) throw badRequest(`send ${what} as the request body`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw payloadTooLarge(`${what} is larger than ${Math.round(maxBytes / 1024 / 1024)} MB`, { limitBytes: maxBytes });
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    out.set(ch, at);
    at += ch.byteLength;
  }
  return out;
}
