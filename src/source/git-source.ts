import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { simpleGit, type SimpleGit } from 'simple-git';
import { registerSecret } from '../log.js';
import { SourceConfigError, SourceSyncError } from './errors.js';
import {
  materializeRevision,
  pruneRevisions,
  resolveSubPath,
  restoreRevision,
  updateRevision,
} from './git-checkout.js';
import { ALLOWED_GIT_ENV, gitConfigText, prepareGitEnv, withToken } from './git-env.js';
import { readTokenFile } from './token-file.js';
import { sshUserEnv, sshUserFor, type SshUser } from './ssh-user.js';
import { settleLinks } from './git-links.js';
import { diffPaths, treeChanges, type TreeChanges } from './git-diff.js';
import { commitRelationsIn } from './git-revision.js';
import { toSyncError } from './git-errors.js';
import { parseGitSourceOptions, type GitSourceInput, type GitSourceOptions } from './git-options.js';
import { checkGitUrl, displayUrl, type CheckedGitUrl } from './git-url.js';
import type { ChangeList, CheckoutLink, Source, SourceRevision, SyncOptions } from './types.js';
import { lockWorkDir, type WorkDirLock } from './work-dir-lock.js';
import { readRoots, type KnownRoots } from './work-tree-repository.js';
import type { GitAnswer } from './git-run.js';
import type { CommitRelation } from '../plan/older-checkout.js';
import type { AppliedRevision } from '../state/schema.js';
import { COMMIT_ID } from '../state/commit-id.js';

export type GitSourceDeps = {
  /** Default: a silent logger. */
  logger?: Logger;
};

/**
 * Follows one branch of one repository. Layout under workDir: `home/` (private git
 * config), `repo/` (object store, never checked out), `revs/<sha>/` (one complete
 * tree per revision). A new revision's tree is the previous one updated with the diff
 * between them (the files a push changed, not the whole tree); a full sync, the first
 * one and any failure of the update check the whole tree out, and then keep the
 * previous tree beside it. The work dir is this source's alone: `open` (or the first sync)
 * locks it (`audiencectl.lock`), `close` releases it.
 */
export class GitSource implements Source {
  readonly #options: GitSourceOptions;
  readonly #url: CheckedGitUrl;
  readonly #log: Logger;
  readonly #secrets: string[];
  readonly #remoteRef: string;
  readonly #configText: string;
  readonly #sshUser: SshUser;
  #env: Record<string, string> | undefined;
  #current: SourceRevision | undefined;
  #previous: string | undefined;
  /** The diff the last checkout update applied, for `changedPaths` of the same two revisions. */
  #applied: { from: string; to: string; changes: TreeChanges } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #lock: WorkDirLock | undefined;
  #closed = false;

  /** Validates everything up front: a refused URL throws SourceConfigError here. */
  constructor(input: GitSourceInput, deps: GitSourceDeps = {}) {
    this.#options = parseGitSourceOptions(input);
    this.#url = checkGitUrl(this.#options.url, { allowFileUrls: this.#options.allowFileUrls });
    this.#secrets = this.#options.token ? [this.#options.token] : [];
    // Long-lived: scrubbed from every log line for the life of the process.
    registerSecret(this.#options.token);
    this.#remoteRef = `refs/remotes/origin/${this.#options.branch}`;
    this.#configText = gitConfigText(this.#options, this.#url, this.#dir('home'));
    this.#sshUser = sshUserFor(this.#url.transport);
    this.#log = (deps.logger ?? pino({ level: 'silent' })).child({
      component: 'git-source',
      repo: displayUrl(this.#url.url),
      branch: this.#options.branch,
    });
  }

  /** Locks the work dir; SourceConfigError SOURCE_WORK_DIR_IN_USE when another audiencectl has it. */
  open(): Promise<void> {
    const run = this.#queue.then(() => this.#lockWorkDir());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  sync(signal?: AbortSignal, options: SyncOptions = {}): Promise<SourceRevision> {
    const run = this.#queue.then(() => this.#sync(signal, options.full ?? false));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** `git diff` between two fetched commits, under the manifests path; undefined on any doubt. */
  changedPaths(from: string, to: string, signal?: AbortSignal): Promise<ChangeList | undefined> {
    if (!COMMIT_ID.test(from) || !COMMIT_ID.test(to)) return Promise.resolve(undefined);
    if (from === to) return Promise.resolve({ changed: [], removed: [] });
    const run = this.#queue.then(async () => {
      const applied = this.#applied?.from === from && this.#applied.to === to ? this.#applied : undefined;
      const paths = this.#env
        ? await diffPaths(this.#git(signal), from, to, this.#options.path, applied?.changes)
        : undefined;
      this.#log.debug({ from, to, paths: paths?.changed.length }, 'changed paths');
      return paths;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Where recorded commits stand against `head` in the fetched repository (`unknown`: not fetched). */
  relations(
    head: string,
    commits: readonly string[],
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, CommitRelation>> {
    const run = this.#queue.then(() =>
      this.#env
        ? commitRelationsIn(this.#git(signal), head, commits)
        : new Map<string, CommitRelation>(commits.map((commit) => [commit, 'unknown'])),
    );
    this.#queue = run.catch(() => undefined);
    return run;
  }

  remoteHead(signal?: AbortSignal): Promise<string | undefined> {
    const run = this.#queue.then(async () => {
      // Read with the fetch's credentials and settings: prepared by the first sync.
      if (!this.#env || this.#closed) return undefined;
      try {
        this.#readToken();
      } catch (error) {
        const failure = toSyncError(error, 'fetch', this.#secrets);
        this.#log.warn({ code: failure.code, err: failure.message }, 'git ls-remote failed');
        return undefined;
      }
      const listed = await this.#git(signal)
        .raw(['ls-remote', '--', this.#url.url, `refs/heads/${this.#options.branch}`])
        .catch((error: unknown) => {
          const failure = toSyncError(error, 'fetch', this.#secrets, [this.#options.tokenUsername]);
          this.#log.warn({ code: failure.code, err: failure.message }, 'git ls-remote failed');
          return '';
        });
      const sha = listed.split('\t')[0]?.trim() ?? '';
      return COMMIT_ID.test(sha) ? sha : undefined;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    const run = this.#queue.then(async () => {
      this.#closed = true;
      await this.#lock?.release();
      this.#lock = undefined;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #lockWorkDir(): Promise<void> {
    if (this.#closed) throw new Error('git source is closed');
    if (this.#lock) return;
    this.#lock = await lockWorkDir(path.resolve(this.#options.workDir), undefined, {
      onWatch: (holder, watchMs) =>
        this.#log.warn(
          { pid: holder.pid, hostname: holder.hostname, since: holder.since, watchMs },
          'the work dir lock is held in another pid namespace of this host name: watching it for a refresh before taking it over',
        ),
    });
    const { tookOver } = this.#lock;
    if (tookOver)
      this.#log.warn(
        { pid: tookOver.pid, hostname: tookOver.hostname, since: tookOver.since },
        'took over the work dir lock of a process no longer running',
      );
  }

  /** The token file's token (tokenFile), read again before each call to the remote. */
  #readToken(): void {
    if (this.#options.tokenFile === undefined || !this.#env) return;
    const token = readTokenFile(this.#options.tokenFile);
    if (!this.#secrets.includes(token)) this.#secrets.push(token);
    withToken(this.#env, token);
  }

  #dir(name: string): string {
    return path.join(path.resolve(this.#options.workDir), name);
  }

  #git(signal: AbortSignal | undefined, extraEnv: Record<string, string> = {}): SimpleGit {
    if (!this.#env) throw new Error('git environment not prepared');
    return simpleGit({
      baseDir: this.#dir('repo'),
      allowEnvironment: ALLOWED_GIT_ENV,
      timeout: { block: this.#options.timeoutMs },
      ...(signal ? { abort: signal } : {}),
    }).env({ ...this.#env, ...extraEnv });
  }

  async #prepare(signal: AbortSignal | undefined): Promise<void> {
    await this.#lockWorkDir();
    if (!this.#env) {
      const env = await prepareGitEnv(this.#options, this.#configText, this.#dir('home'));
      Object.assign(env, await sshUserEnv(this.#sshUser, this.#dir('home')));
      // Git must never climb out of the work dir into an enclosing repository.
      env.GIT_CEILING_DIRECTORIES = path.resolve(this.#options.workDir);
      this.#env = env;
    }
    this.#readToken();
    // Checked on every sync: a work dir wiped under a running pod heals itself.
    const repo = this.#dir('repo');
    const initialised = await stat(path.join(repo, '.git', 'HEAD')).then(
      () => true,
      () => false,
    );
    if (initialised) return;
    await mkdir(repo, { recursive: true, mode: 0o700 });
    await this.#git(signal).init(['--quiet']);
  }

  async #fetch(signal: AbortSignal | undefined): Promise<string> {
    // Equivalent to a clone on first use; `--` keeps the URL from ever being an option.
    // --progress, not --quiet: progress output is what tells the silence timeout that
    // a long transfer is still alive.
    const args = ['fetch', '--progress', '--no-tags', '--no-recurse-submodules', '--force'];
    if (this.#options.depth) args.push(`--depth=${this.#options.depth}`);
    args.push('--', this.#url.url, `+refs/heads/${this.#options.branch}:${this.#remoteRef}`);
    await this.#git(signal).raw(args);
    const sha = (
      await this.#git(signal).raw(['rev-parse', '--verify', `${this.#remoteRef}^{commit}`])
    ).trim();
    if (!COMMIT_ID.test(sha))
      throw new SourceSyncError('SOURCE_FETCH_FAILED', 'git rev-parse returned no commit id');
    return sha;
  }

  async #sync(signal: AbortSignal | undefined, full: boolean): Promise<SourceRevision> {
    // The `ms` logged: on a clock NTP does not step, so it is never negative nor an hour long.
    const started = performance.now();
    let step = 'fetch';
    try {
      if (signal?.aborted) throw new SourceSyncError('SOURCE_ABORTED', 'git fetch was cancelled');
      await this.#prepare(signal);
      const revision = await this.#fetch(signal);
      if (this.#current?.revision === revision) {
        // A full sync (the resync safety net) writes the tree whole again: a file gone from the
        // checkout on disk (a cleaner, a person, a disk) is not a manifest the branch removed.
        if (full) {
          step = 'checkout';
          const checkout = await materializeRevision(
            (env) => this.#git(signal, env),
            this.#dir('revs'),
            revision,
            { fresh: true },
          );
          await this.#settleLinks(signal, checkout, revision);
        }
        this.#log.debug(
          { revision, rewritten: full, ms: Math.round(performance.now() - started) },
          'revision unchanged',
        );
        return { ...this.#current, changed: false };
      }
      step = 'checkout';
      const checkout =
        (full ? undefined : await this.#update(signal, revision)) ??
        (await materializeRevision((env) => this.#git(signal, env), this.#dir('revs'), revision));
      const links = await this.#settleLinks(signal, checkout, revision);
      const dir = await resolveSubPath(checkout, this.#options.path, revision);
      const [commit, roots] = await Promise.all([
        this.#committed(signal, revision),
        // The last sync's roots spare the walk of the whole history when it is the new commit's ancestor.
        readRoots((args) => this.#ask(signal, args), revision, this.#knownRoots()),
      ]);
      this.#previous = this.#current?.revision;
      this.#current = {
        revision,
        dir,
        top: checkout,
        changed: true,
        ...(links.length > 0 ? { links } : {}),
        ...(commit ? { commit } : {}),
        ...(roots.kind === 'roots' ? { roots: roots.roots } : {}),
        ...(roots.kind === 'shallow' ? { shallow: true } : {}),
      };
      await pruneRevisions(this.#dir('revs'), [revision, ...(this.#previous ? [this.#previous] : [])]);
      this.#log.info({ revision, ms: Math.round(performance.now() - started) }, 'checked out new revision');
      return this.#current;
    } catch (error) {
      // The work dir is another process's: no git output to map, and no retry will help.
      if (error instanceof SourceConfigError) throw error;
      // Thrown, not logged: the reconciler logs each failed sync once ('sync failed'), with its retry.
      const failure = toSyncError(error, step, this.#secrets, [this.#options.tokenUsername]);
      await this.#keepCurrent(signal);
      throw failure;
    }
  }

  /**
   * The last revision synced stays checked out when a sync fails: forced passes reconcile it
   * meanwhile (docs/controller.md, "A pass"). The update in place moves its tree into the new
   * revision's before the sync can fail (a push that removed --path): every forced pass then
   * failed on a work-dir path that was gone (review 40, F-2). It is checked out again.
   */
  async #keepCurrent(signal: AbortSignal | undefined): Promise<void> {
    const current = this.#current;
    if (current?.top === undefined || signal?.aborted) return;
    try {
      const git = (env: Record<string, string>) => this.#git(signal, env);
      if (await restoreRevision(git, this.#dir('revs'), current.revision))
        await this.#settleLinks(signal, current.top, current.revision);
    } catch (error) {
      const failure = toSyncError(error, 'checkout', this.#secrets, [this.#options.tokenUsername]);
      this.#log.warn(
        { revision: current.revision, code: failure.code, err: failure.message },
        'the last revision synced could not be checked out again',
      );
    }
  }

  /** The checkout's links settled (git-links.ts): those under the manifests path. */
  #settleLinks(signal: AbortSignal | undefined, checkout: string, revision: string): Promise<CheckoutLink[]> {
    const env = { ...this.#env, GIT_DIR: path.join(this.#dir('repo'), '.git') };
    return settleLinks(
      this.#git(signal),
      { repo: this.#dir('repo'), env },
      checkout,
      revision,
      this.#options.path,
    );
  }

  /**
   * The commit with its committer time, for the records; undefined when git cannot say (the
   * pass still applies, its records then carry no commit, as an apply outside git).
   */
  async #committed(signal: AbortSignal | undefined, revision: string): Promise<AppliedRevision | undefined> {
    const seconds = await this.#git(signal)
      .raw(['show', '-s', '--format=%ct', revision])
      .then((output) => output.trim())
      .catch(() => '');
    if (!/^\d+$/.test(seconds)) return undefined;
    return { commit: revision, committedAt: new Date(Number(seconds) * 1000).toISOString() };
  }

  /** The roots the last sync read, of its commit. */
  #knownRoots(): KnownRoots | undefined {
    const current = this.#current;
    return current?.roots === undefined ? undefined : { commit: current.revision, roots: current.roots };
  }

  /** git `args` in the fetched repository, with the fetch's environment: what it printed, or why not. */
  #ask(signal: AbortSignal | undefined, args: readonly string[]): Promise<GitAnswer<string>> {
    return this.#git(signal)
      .raw([...args])
      .then(
        (out): GitAnswer<string> => ({ ok: true, out }),
        (error: unknown): GitAnswer<string> => ({ ok: false, why: (error as Error).message }),
      );
  }

  /** The previous revision's tree updated in place to `revision`; undefined when it cannot be. */
  async #update(signal: AbortSignal | undefined, revision: string): Promise<string | undefined> {
    const previous = this.#current?.revision;
    if (previous === undefined) return undefined;
    const changes = await treeChanges(this.#git(signal), previous, revision);
    if (changes === undefined) return undefined;
    this.#applied = { from: previous, to: revision, changes };
    const git = (env: Record<string, string>) => this.#git(signal, env);
    return updateRevision(git, this.#dir('revs'), previous, revision, changes);
  }
}

/** Convenience factory matching the `Source` interface. */
export function createGitSource(input: GitSourceInput, deps: GitSourceDeps = {}): Source {
  return new GitSource(input, deps);
}
