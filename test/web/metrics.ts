// The dashboard marks every figure it shows with the path of its API field
// (data-metric) and the exact value (data-value); tests read them back and
// compare each with the API's JSON.
import { expect } from 'vitest';

/** Every figure of a page: data-metric → data-value (undefined when the page shows no value). */
export function metrics(html: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const m of html.matchAll(/data-metric="([^"]*)"(?: data-value="([^"]*)")?/g)) {
    const [, path, value] = m;
    // The same figure may be shown twice (headline and table): both must agree.
    if (out.has(path!)) expect(out.get(path!), path).toBe(value);
    out.set(path!, value);
  }
  return out;
}

/** A path of the API's JSON; array elements are named by their key, day or id. */
export function resolveApiPath(json: unknown, path: string): unknown {
  let cur: unknown = json;
  for (const seg of path.split('.')) {
    if (cur === null) return null;
    if (Array.isArray(cur)) cur = cur.find((e: Record<string, unknown>) => e.key === seg || e.day === seg || e.id === seg);
    else cur = (cur as Record<string, unknown> | null | undefined)?.[seg];
    if (cur === undefined) throw new Error(`${path}: no ${seg} in the API's answer`);
  }
  return cur;
}

/** Each figure on the page (its HTML, or a browser page's content()) is the API's exact value. */
export function expectSameAsApi(html: string, json: unknown): Map<string, string | undefined> {
  const found = metrics(html);
  expect(found.size).toBeGreaterThan(5);
  for (const [path, value] of found) {
    const api = resolveApiPath(json, path);
    if (api === null) expect(value, path).toBeUndefined();
    else expect(Number(value), path).toBe(api);
  }
  return found;
}
