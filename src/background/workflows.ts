/**
 * The background's part in workflows: it forwards `workflow/start` and `metrics/get` to the offscreen
 * document (creating it first), answers `workflow/status` from IndexedDB itself (the journal and the
 * results, same extension origin), and on startup makes sure a document exists when the journal
 * holds unfinished workflows, so they resume (or roll back) after a browser restart.
 */
import type { Handlers } from '../messaging/messenger';
import type { OffscreenProtocol, WorkflowStatus } from '../messaging/protocol';
import type { Req, Res } from '../messaging/messenger';
import { IdbJournal, progressOf, WorkflowStateStore, type WorkflowProgress } from '../workflow';

type SendToOffscreen = <K extends keyof OffscreenProtocol & string>(
  type: K,
  req: Req<'offscreen', K>,
) => Promise<Res<'offscreen', K>>;

export type WorkflowMessages = 'workflow/start' | 'workflow/status' | 'metrics/get';

export interface WorkflowRelayDeps {
  /** Creates the offscreen document if it is missing (OffscreenManager.ensure). */
  ensureHost: () => Promise<unknown>;
  toOffscreen: SendToOffscreen;
  /** Reads the journal's unfinished workflows (IdbJournal.peek). */
  unfinished?: () => Promise<WorkflowProgress[]>;
  openState?: () => Promise<WorkflowStateStore>;
}

async function peekUnfinished(): Promise<WorkflowProgress[]> {
  return (await IdbJournal.peek()).map(progressOf).filter((p): p is WorkflowProgress => p !== null);
}

export class WorkflowRelay {
  constructor(private readonly deps: WorkflowRelayDeps) {}

  async status(id?: string): Promise<WorkflowStatus> {
    if (id !== undefined && (typeof id !== 'string' || id.length === 0 || id.length > 128))
      throw new TypeError('workflow/status: id must be a workflow id (1..128 characters) or absent');
    const state = await (this.deps.openState ?? (() => WorkflowStateStore.open()))();
    try {
      const [unfinished, finished] = await Promise.all([
        (this.deps.unfinished ?? peekUnfinished)(),
        id === undefined ? state.results() : state.result(id).then((r) => (r ? [r] : [])),
      ]);
      return { unfinished: id === undefined ? unfinished : unfinished.filter((u) => u.id === id), finished };
    } finally {
      state.close();
    }
  }

  /** Recreates the offscreen document when unfinished workflows wait in the journal; their count. */
  async resumeIfUnfinished(): Promise<number> {
    const n = (await (this.deps.unfinished ?? peekUnfinished)()).length;
    if (n > 0) await this.deps.ensureHost();
    return n;
  }

  handlers(): Pick<Handlers<'background'>, WorkflowMessages> {
    return {
      'workflow/start': async (req) => {
        await this.deps.ensureHost();
        return this.deps.toOffscreen('workflow/start', req);
      },
      'workflow/status': (req) => this.status(req?.id),
      'metrics/get': async () => {
        await this.deps.ensureHost();
        return this.deps.toOffscreen('metrics/get', undefined);
      },
    };
  }
}
