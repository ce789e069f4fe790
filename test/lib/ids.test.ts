// UUIDv7 ids: RFC 9562 layout, the given time in the first 48 bits, and
// always ascending within the process, also within one millisecond and when
// the clock steps back (a fixed test clock makes every id in the same one).
import { describe, expect, it } from 'vitest';
import { isUuid, uuidv7 } from '../../src/lib/ids';

const timeOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('uuidv7', () => {
  it('has the version 7 layout and the given time', () => {
    const ms = Date.UTC(2026, 2, 1, 2, 0, 0);
    const id = uuidv7(ms + 1_000_000);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUuid(id)).toBe(true);
    expect(timeOf(id)).toBe(ms + 1_000_000);
    const later = uuidv7(ms + 2_000_000);
    expect(timeOf(later)).toBe(ms + 2_000_000);
    expect(later > id).toBe(true);
  });

  it('ascends within one millisecond, and keeps ascending when the clock steps back', () => {
    const ms = Date.UTC(2027, 0, 1);
    const ids = Array.from({ length: 20_000 }, () => uuidv7(ms));
    // Then an earlier time: the ids go on from the last one rather than sort before it.
    ids.push(...Array.from({ length: 100 }, () => uuidv7(ms - 86_400_000)));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `id ${i}`).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // 20,000 increments of at most 65,536 stay far inside 74 bits: the time is unchanged.
    expect(new Set(ids.map(timeOf))).toEqual(new Set([ms]));
    // A later millisecond starts from fresh random bits.
    expect(timeOf(uuidv7(ms + 1))).toBe(ms + 1);
  });
});
