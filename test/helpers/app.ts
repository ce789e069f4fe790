// A full app on a test database with a fixed clock, temp storage and a
// dealer with an API token: what most API tests need.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app';
import { testConfig, type Config } from '../../src/config';
import { createDealer, issueApiToken } from '../../src/dealers';
import type { Deps, Role } from '../../src/http/context';
import { FixedClock } from '../../src/lib/clock';
import { JobRunner } from '../../src/lib/jobs';
import { createLogger, silentLogger } from '../../src/lib/log';
import { FsStorage } from '../../src/main/fs-storage';
import { openTestDb, type DbKind } from './db';

/** TEST_LOG=debug shows the service's log lines while a test runs. */
const logger = process.env.TEST_LOG ? createLogger(process.env.TEST_LOG as 'debug') : silentLogger;

export const T0 = new Date('2026-03-01T02:00:00Z');

export interface TestApp {
  deps: Deps;
  app: ReturnType<typeof createApp>;
  clock: FixedClock;
  dealerId: string;
  token: string;
  /** Call the API as this dealer. */
  req(method: string, path: string, init?: { body?: BodyInit | object; headers?: Record<string, string>; token?: string }): Promise<Response>;
  /** Another dealer with its own token, for tenancy tests. */
  addDealer(name: string, role?: Role): Promise<{ dealerId: string; token: string }>;
  close(): Promise<void>;
}

export async function createTestApp(
  kind: DbKind,
  over: Partial<Config> = {},
  opts: { pausedJobs?: boolean } = {},
): Promise<TestApp> {
  const { db, close } = await openTestDb(kind);
  const dir = await mkdtemp(join(tmpdir(), 'dm-test-'));
  const clock = new FixedClock(T0);
  const storage = new FsStorage(join(dir, 'files'));
  const deps: Deps = {
    db,
    clock,
    config: testConfig({ DATA_DIR: dir, ...over }),
    logger,
    storage,
    jobs: new JobRunner(logger, opts.pausedJobs ?? false),
  };
  const app = createApp(deps);
  const addDealer = async (name: string, role: Role = 'admin') => {
    const d = await createDealer(db.orm, clock, { name, country: 'CN', timezone: 'Asia/Shanghai' });
    const t = await issueApiToken(db.orm, clock, d.id, role, 'test');
    return { dealerId: d.id, token: t.token };
  };
  const main = await addDealer('测试汽车4S店');
  return {
    deps,
    app,
    clock,
    dealerId: main.dealerId,
    token: main.token,
    addDealer,
    async req(method, path, init = {}) {
      const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? main.token}`, ...init.headers };
      let body: BodyInit | undefined;
      if (init.body !== undefined) {
        if (typeof init.body === 'string' || init.body instanceof Uint8Array || init.body instanceof ReadableStream) {
          body = init.body as BodyInit;
        } else {
          body = JSON.stringify(init.body);
          headers['content-type'] ??= 'application/json';
        }
      }
      return app.request(path, { method, headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
    },
    async close() {
      await deps.jobs.idle();
      await close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
