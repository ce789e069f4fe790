import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/log';

describe('logger', () => {
  it("writes a child's fields over its parents', the line's own fields last, and nothing below the level", () => {
    const lines: string[] = [];
    const root = createLogger('info', { svc: 'api', scope: 'root' }, (l) => lines.push(l));
    const req = root.child({ reqId: 'r1', scope: 'request' });
    const deeper = req.child({ job: 'j1' });
    req.debug('hidden', { x: 1 });
    deeper.info('shown', { scope: 'line' });
    req.warn('also');
    root.error('root');
    expect(lines).toHaveLength(3);
    const [a, b, c] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ level: 'info', msg: 'shown', svc: 'api', reqId: 'r1', job: 'j1', scope: 'line' });
    expect(b).toMatchObject({ level: 'warn', msg: 'also', svc: 'api', reqId: 'r1', scope: 'request' });
    expect(b).not.toHaveProperty('job');
    expect(c).toMatchObject({ level: 'error', msg: 'root', scope: 'root' });
    expect(c).not.toHaveProperty('reqId');
    // What a caller asks before gathering costly fields, for a child as for its root.
    expect([req.enabled('debug'), req.enabled('info'), deeper.enabled('error'), createLogger('warn').enabled('info')]).toEqual([false, true, true, false]);
  });
});
