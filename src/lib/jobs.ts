// Background jobs run in-process, one at a time per queue, with their state in
// the database so a restart can resume them. Tests await `idle()`.
import { errorField, type Logger } from './log';

export type JobHandler = (id: string, signal: AbortSignal) => Promise<void>;

export class JobRunner {
  private handlers = new Map<string, JobHandler>();
  private queues = new Map<string, string[]>();
  private running = new Map<string, Promise<void>>();
  private controllers = new Map<string, AbortController>();

  /** A paused runner queues jobs but starts none until `resume()`. */
  constructor(
    private logger: Logger,
    private paused = false,
  ) {}

  resume(): void {
    this.paused = false;
    for (const kind of this.queues.keys()) this.pump(kind);
  }

  register(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  enqueue(kind: string, id: string): void {
    const q = this.queues.get(kind) ?? [];
    if (!q.includes(id)) q.push(id);
    this.queues.set(kind, q);
    this.pump(kind);
  }

  /** Ask a queued or running job to stop; the handler sees its signal aborted. */
  cancel(id: string): boolean {
    const c = this.controllers.get(id);
    if (c) c.abort();
    for (const q of this.queues.values()) {
      const i = q.indexOf(id);
      if (i >= 0) q.splice(i, 1);
    }
    return !!c;
  }

  private pump(kind: string): void {
    if (this.paused || this.running.has(kind)) return;
    const q = this.queues.get(kind);
    const id = q?.shift();
    if (!id) return;
    const handler = this.handlers.get(kind);
    if (!handler) throw new Error(`no handler for job kind ${kind}`);
    const ctl = new AbortController();
    this.controllers.set(id, ctl);
    const p = handler(id, ctl.signal)
      .catch((e: unknown) => this.logger.error('job failed', { kind, id, err: errorField(e) }))
      .finally(() => {
        this.controllers.delete(id);
        this.running.delete(kind);
        this.pump(kind);
      });
    this.running.set(kind, p);
  }

  /** Resolves when every queue is empty and nothing runs. */
  async idle(): Promise<void> {
    for (;;) {
      const ps = [...this.running.values()];
      if (ps.length === 0) return;
      await Promise.all(ps);
    }
  }
}
