import type { Config } from '../config';
import type { Database } from '../db';
import type { Clock } from '../lib/clock';
import type { JobRunner } from '../lib/jobs';
import type { Logger } from '../lib/log';
import type { Storage } from '../lib/storage';
import type { ImportParser } from '../imports/parse';
import type { Renderer } from '../print/pool';
import type { Channels } from '../outbox/dispatcher';

/** Everything the app needs from the outside world; each runtime supplies its own. */
export interface Deps {
  db: Database;
  clock: Clock;
  config: Config;
  logger: Logger;
  storage: Storage;
  jobs: JobRunner;
  /** Where list files are parsed; the request thread when absent. */
  importParser?: ImportParser;
  /** Where print files are rendered; the calling thread when absent. */
  printRenderer?: Renderer;
  /**
   * The SMS and email providers (the dispatcher's): request handlers send
   * booking confirmations through them. Absent: such messages are not sent
   * (and the absence is logged).
   */
  channels?: Channels;
}

export type Role = 'admin' | 'marketer' | 'manager' | 'printer';

export interface Auth {
  dealerId: string;
  role: Role;
  tokenId: string;
}

export type AppEnv = {
  Variables: {
    deps: Deps;
    requestId: string;
    log: Logger;
    auth: Auth;
  };
};
