import { compareText } from '../text/compare.js';
import { StateError } from './errors.js';
import { RecordWrites } from './record-writes.js';
import { recordId } from './record-id.js';
import type { AudienceRecord, RecordedState, SandboxMark, StateMeta } from './schema.js';
import type { LockInfo, LockOptions, StateStore } from './store.js';
import type { OrgOf } from './org-binding.js';
import type { SandboxRevisions } from './sandbox-revisions.js';
import type { WriteDecision } from './write-path.js';

/**
 * A store that reads what `base` holds and keeps what is written to it in memory, under the
 * same write rules (RecordWrites): a `--dry-run` runs the command's own writes against it, says
 * what they did, and drops them. Nothing reaches `base`, whose serial does not move (a saved
 * plan stays current). Only records are written: a meta write (a mark, a restore) is refused.
 */
export class PreviewStore extends RecordWrites implements StateStore {
  readonly location: string;
  readonly shared: boolean;
  readonly #base: StateStore;
  /** What was written, by record id; undefined where a record was removed. */
  readonly #written = new Map<string, AudienceRecord | undefined>();

  constructor(base: StateStore) {
    super();
    this.#base = base;
    this.location = base.location;
    this.shared = base.shared;
  }

  async get(sandbox: string, key: string): Promise<AudienceRecord | undefined> {
    const id = recordId(sandbox, key);
    return this.#written.has(id) ? this.#written.get(id) : this.#base.get(sandbox, key);
  }

  async readAll(): Promise<RecordedState> {
    const { meta, audiences } = await this.#base.readAll();
    const stored = new Set(audiences.map((r) => recordId(r.sandbox, r.key)));
    const read = audiences.flatMap((record) => {
      const id = recordId(record.sandbox, record.key);
      if (!this.#written.has(id)) return [record];
      const written = this.#written.get(id);
      return written === undefined ? [] : [written];
    });
    const added = [...this.#written].flatMap(([id, record]) =>
      record === undefined || stored.has(id) ? [] : [record],
    );
    return { meta, audiences: [...read, ...added] };
  }

  meta(): Promise<StateMeta | undefined> {
    return this.#base.meta();
  }

  async list(): Promise<Array<[sandbox: string, key: string]>> {
    const { audiences } = await this.readAll();
    return audiences
      .map((r): [string, string] => [r.sandbox, r.key])
      .sort((a, b) => compareText(recordId(...a), recordId(...b)));
  }

  protected override async mutate(sandbox: string, key: string, decide: WriteDecision): Promise<void> {
    const id = recordId(sandbox, key);
    const read = () => this.get(sandbox, key);
    const mutation = await decide({ read, exists: async () => (await read()) !== undefined });
    if ('write' in mutation) this.#written.set(id, mutation.write);
    else if ('remove' in mutation) this.#written.set(id, undefined);
  }

  lock(options?: LockOptions): Promise<LockInfo> {
    return this.#base.lock(options);
  }

  unlock(): Promise<void> {
    return this.#base.unlock();
  }

  useOrgs(orgOf: OrgOf): void {
    this.#base.useOrgs(orgOf);
  }

  useRevision(revision: SandboxMark | undefined, bySandbox?: SandboxRevisions): void {
    this.#base.useRevision(revision, bySandbox);
  }

  /** Nothing to forget: a preview's writes bind nothing in `base`. */
  releaseOrg(): Promise<boolean> {
    return Promise.resolve(false);
  }

  markRevision(): Promise<void> {
    return Promise.reject(previewOnly('mark a revision'));
  }

  restore(): Promise<void> {
    return Promise.reject(previewOnly('restore a snapshot'));
  }

  init(): Promise<string[]> {
    return Promise.reject(previewOnly('create the store'));
  }

  close(): Promise<void> {
    return this.#base.close();
  }
}

function previewOnly(what: string): StateError {
  return new StateError('STATE_PREVIEW', `a --dry-run records nothing, and cannot ${what}`);
}
