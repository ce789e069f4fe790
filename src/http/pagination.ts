// Cursor pagination: lists are ordered by id (UUIDv7, so by creation); the
// cursor is the last id seen, opaque to clients.
import { z } from 'zod';
import { badRequest } from '../lib/errors';
import { isUuid } from '../lib/ids';

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  let id: string;
  try {
    id = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    throw badRequest('cursor is not valid', { path: 'query.cursor' });
  }
  if (!isUuid(id)) throw badRequest('cursor is not valid', { path: 'query.cursor' });
  return id;
}

export function encodeCursor(id: string): string {
  return btoa(id).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Fetch limit+1 rows, return a page and the next cursor. */
export function page<T extends { id: string }>(items: T[], limit: number): { data: T[]; nextCursor: string | null } {
  const more = items.length > limit;
  const data = more ? items.slice(0, limit) : items;
  return { data, nextCursor: more ? encodeCursor(data[data.length - 1]!.id) : null };
}
