import { sourceRootOf } from '../../manifest/read-source-root.js';
import { workTreeRemotes } from '../../source/work-tree-repository.js';
import { cloneRepository } from '../../plan/clone-repository.js';
import { statSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { choiceOption } from '../typed-options.js';
import {
  assumedStateFrom,
  baseDiagnostics,
  unreadBase,
  type BaseElsewhere,
} from '../../plan/assumed-state.js';
import { recordId } from '../../state/record-id.js';
import { plan, type PlanOptions } from '../../plan/plan.js';
import { planSplit } from '../plan-split.js';
import { recordedOfRead, splitQuiet, type QuietRecords, type QuietSplit } from '../../plan/quiet-pairs.js';
import { renderJson } from '../../plan/render/json.js';
import { renderMarkdown } from '../../plan/render/markdown.js';
import { renderText } from '../../plan/render/text.js';
import { stepOrgs, type PlanOrgs } from '../../plan/render/target-note.js';
import { outNotes } from '../out-notes.js';
import type { Plan } from '../../plan/schema.js';
import { needsLive, readLive } from '../../apply/live.js';
import { leftRuns, unreadRuns } from '../../plan/runs-in-progress.js';
import { planHoldingElsewhere } from '../../apply/held-elsewhere.js';
import type { ManifestElsewhere } from '../../plan/elsewhere.js';
import { UsageError } from '../../errors.js';
import type { LoadResult } from '../../manifest/load.js';
import type { ConnectFlags } from '../connect.js';
import { credentialsAbsent } from '../credentials-absent.js';
import { holdUnconfiguredSandboxes } from '../unconfigured-sandboxes.js';
import { configuredOrgs } from '../configured-orgs.js';
import { useColor } from '../color.js';
import { assertOutElsewhere, assertWritableFile, isStreamTarget, writeOutFile } from '../out-file.js';
import { planExitCode } from '../exit-codes.js';
import { planCheckout, planRoots } from '../plan-checkout.js';
import { baseDefaultSandbox } from '../base-sandbox.js';
import { addPlanOptions, planOptionsFrom, type PlanFlags } from '../plan-options.js';
import { baseManifestCacheFile, manifestCacheFile, stateSnapshotFile } from '../manifest-cache-file.js';
import { seedManifestCache } from '../manifest-cache-mirror.js';
import { readStateThroughSnapshot } from '../../state/read-snapshot.js';
import type { CacheBytes } from '../../cache/cache-file.js';
import { loadSnapshotBytes, loadSnapshotBytesSync, SnapshotSpecError } from '../../state/snapshot-specs.js';
import {
  addSourceOptions,
  assertDirectory,
  emptyLoad,
  INCLUDE_HINT,
  loadAtRef,
  askBase,
  loadDesiredDir,
  lookElsewhere,
  readOptions,
  type SourceFlags,
} from '../source-options.js';
import { startFactScan, type FactScan } from '../../scan/fact-scan.js';
import { dropScanThread, scansInThread } from '../../scan/prestart.js';
import { dropParserThread } from '../../manifest/parser-prestart.js';
import { fileSelector } from '../../source/file-filter.js';
import { escapeText } from '../../text/safe-text.js';
import { pasteFlagsOf } from '../paste-flags.js';
import { savedPlanPaste, withManifestsDir, type PasteFlags } from '../../text/paste-flags.js';
import { AudiencectlError } from '../../errors.js';
import { locateState, openStoreFor, stateLocationOf } from '../state-options.js';
import { describeLocation, type StateLocation } from '../../state/location.js';
import { storeIdentity } from '../../state/store-identity.js';
import { assertSameOrgs } from '../../state/org-binding.js';
import type { RecordedState } from '../../state/schema.js';
import { missingStoreWarning, stateStoreExists } from '../../state/presence.js';
import { readState } from '../../state/read.js';
import { dirStoreIdentity } from '../../state/dir-identity.js';
import { quietReaderOf } from '../../state/store.js';

type Flags = SourceFlags &
  PlanFlags &
  ConnectFlags & {
    refresh?: boolean;
    base?: string;
    output: 'text' | 'json' | 'markdown';
    out?: string;
    detailedExitcode?: boolean;
  };

export function renderPlan(result: Plan, output: Flags['output'], color: boolean, orgs?: PlanOrgs): string {
  if (output === 'json') return renderJson(result);
  if (output === 'markdown') return renderMarkdown(result, { orgs });
  return renderText(result, { color, orgs });
}

const NO_CREDENTIALS = 'no AEP credentials are configured to read it with';

/** Where a plan says its warnings and notes (whole lines): standard error, but see the action. */
type Say = (line: string) => void;

/**
 * What the plan needs from the service (`--refresh`, manifests to adopt, runs left in progress): read here, planned
 * from as data. Nothing needed: no credentials, no request.
 */
async function liveView(
  flags: Flags,
  desired: LoadResult,
  recorded: RecordedState,
  options: PlanOptions,
  location: StateLocation,
  say: Say,
): Promise<Partial<PlanOptions>> {
  // Runs an apply left in progress are read again, as apply reads them, except for a JSON plan:
  // `apply plan.json` plans it again from the records alone, and its run steps follow them.
  const left = flags.output === 'json' ? [] : leftRuns(desired, recorded);
  const needed = needsLive(desired, recorded, options, flags.refresh === true);
  if (!needed && left.length === 0) return {};
  if (!needed && credentialsAbsent(flags)) return { runsRead: unreadRuns(left, NO_CREDENTIALS) };
  // The configuration (its YAML and zod) and the client are loaded only for a plan that reads the service.
  const { resolveTarget } = await import('../connect.js');
  const target = await resolveTarget(flags, (message) => say(`Warning: ${message}\n`));
  let connection: Awaited<ReturnType<typeof target.open>>;
  try {
    connection = await target.open();
  } catch (error) {
    // Only to read left runs: a connection that fails leaves them unread, said in the plan.
    if (needed) throw error;
    return { runsRead: unreadRuns(left, error instanceof Error ? error.message : String(error)) };
  }
  try {
    // Read from another org, every recorded audience would look deleted outside audiencectl.
    assertSameOrgs(recorded.meta, (sandbox) => connection.client.orgOf(sandbox), describeLocation(location));
    const live = await readLive(desired, recorded, options, connection.client, {
      refresh: flags.refresh === true,
      batchSize: target.bulkBatchSize,
      now: Date.now(),
      followRuns: left.length > 0,
    });
    // The reads' answers showed AEP's clock: runs are timed in it, and a saved plan says so.
    const { measuredOffset } = await import('../../apply/service-time.js');
    return { ...live, clockOffset: measuredOffset(connection.client) };
  } finally {
    await connection.close();
  }
}

/**
 * What the commands a plan's steps print carry: in the text a person reads here, this
 * process's --state and --config and the directory as typed. A JSON plan of a directory names
 * the directory its origin records (absolute), and no flag: `apply plan.json` plans again with
 * the same (saved-plan.ts) and compares its steps word for word. A pull request's Markdown,
 * read in another clone, names none (the MANIFESTS_DIR placeholder).
 */
function pasteOfPlan(flags: Flags, typed: PasteFlags, dir: string): PasteFlags | undefined {
  if (flags.base !== undefined) return undefined;
  if (flags.output === 'text') return withManifestsDir(typed, dir);
  if (flags.output === 'json') return savedPlanPaste(dir);
  return undefined;
}

/**
 * The state snapshot's header and records' lines (not its specs: snapshot-specs.ts), read here
 * while the fact scan's thread starts, else in the thread pool; none when it is to serve no record.
 */
function snapshotBytes(file: string, serves: boolean, scanning: boolean): Promise<CacheBytes> {
  if (!serves) return Promise.resolve(undefined);
  return scanning ? Promise.resolve(loadSnapshotBytesSync(file)) : loadSnapshotBytes(file);
}

/**
 * The recorded state, read without the lock (a plan changes nothing); a directory store
 * through its snapshot when there is one (see read-snapshot.ts for why only `plan` does).
 */
async function readRecorded(
  flags: Flags,
  snapshot: { file: string; bytes: Promise<CacheBytes> } | undefined,
  scan: FactScan | undefined,
  paste: PasteFlags,
  /** Leave the snapshot's quiet records as lines (src/plan/quiet.ts): `quiet`, not in `state`. */
  quiet = false,
): Promise<{ state: RecordedState; save: () => void; identity?: string; quiet?: QuietRecords }> {
  const location = await stateLocationOf(flags);
  if (snapshot !== undefined && location.kind === 'dir') {
    const read = await readStateThroughSnapshot(
      location.dir,
      snapshot.file,
      Date.now,
      snapshot.bytes,
      scan?.records,
      paste,
      quiet,
    );
    const identity = await unwrittenDirIdentity(location.dir, flags, read.state);
    return {
      state: read.state,
      save: read.save,
      ...(identity === undefined ? {} : { identity }),
      ...(read.quiet ? { quiet: read.quiet } : {}),
    };
  }
  if (location.kind === 'dir') return readDirStore(location.dir, flags, paste);
  const store = await openStoreFor({ ...flags, paste }, location);
  try {
    // A PostgreSQL store's rows in the quiet shape are left as lines too (pg/record-lines.ts).
    const reader = quiet ? quietReaderOf(store) : undefined;
    const read = reader ? await reader.readQuiet() : { state: await store.readAll() };
    const { state } = read;
    // A saved plan of a store never written records what the store says it is, besides its
    // spelling: applied through another spelling of the same server (localhost, 127.0.0.1),
    // it is that store. Not asked when unknown: the spelling alone decides then.
    const identity =
      flags.output === 'json' && state.meta?.lineage === undefined
        ? await store.identity?.().catch(() => undefined)
        : undefined;
    return {
      state,
      save: () => undefined,
      ...(identity === undefined ? {} : { identity }),
      ...(read.quiet ? { quiet: read.quiet } : {}),
    };
  } finally {
    await store.close();
  }
}

/**
 * A directory store no snapshot serves (a first plan, one with no store yet, snapshots off), read
 * as FileStateStore.readAll reads it, without opening the store: its writers (the lock, the record
 * writes, their zod schemas) were loaded by every such plan, 480 KB of bundle, to write nothing.
 * What opening checks (a migrate's interrupted swap, a folder that is no store) the plan checked
 * first (stateStoreExists); a store that does not exist reads as empty.
 */
async function readDirStore(
  dir: string,
  flags: Flags,
  paste: PasteFlags,
): Promise<{ state: RecordedState; save: () => void; identity?: string }> {
  const state = await readState(path.resolve(dir), paste);
  const identity = await unwrittenDirIdentity(dir, flags, state);
  return { state, save: () => undefined, ...(identity === undefined ? {} : { identity }) };
}

/**
 * A directory store as it says it is (StateStore.identity), for a saved plan of a store never
 * written; read through its snapshot or not, the same (a plan made with the manifest cache left
 * it out, and `apply` then refused the store by another spelling the uncached plan was taken by).
 */
async function unwrittenDirIdentity(
  dir: string,
  flags: Flags,
  state: RecordedState,
): Promise<string | undefined> {
  return flags.output === 'json' && state.meta?.lineage === undefined ? dirStoreIdentity(dir) : undefined;
}

/** Whether `dir` is missing from the working tree (a link to nothing is missing too). */
function isMissing(dir: string): boolean {
  try {
    return statSync(dir, { throwIfNoEntry: false }) === undefined;
  } catch {
    return false;
  }
}

/**
 * The manifests of `dir` at `ref`. When the working tree has no `dir` (`gone`), the base
 * must have it: a directory at neither is a typo, refused as one, never a plan that
 * deletes nothing (or everything).
 */
async function readBase(
  dir: string,
  flags: Flags,
  ref: string,
  files: Parameters<typeof loadAtRef>[3],
  gone: boolean,
  asked: Parameters<typeof loadAtRef>[4],
): Promise<Awaited<ReturnType<typeof loadAtRef>>> {
  const noDir = (where: string) =>
    new UsageError(
      'NO_SOURCE_DIR',
      `${escapeText(dir)} does not exist${where}: give the directory of the manifests`,
    );
  const read = await loadAtRef(dir, flags, ref, files, asked).catch((error: unknown) => {
    throw gone && error instanceof AudiencectlError && error.code === 'NOT_A_GIT_REPO' ? noDir('') : error;
  });
  if (gone && !read.present) throw noDir(`, neither in the working tree nor in --base "${escapeText(ref)}"`);
  return read;
}

/**
 * What keeps `apply` from taking the file `--out` saves: it takes a file as a saved plan by its
 * name alone (*.json), and only a JSON plan. `plan --out plan.json` without `--output json`
 * wrote the text plan there, silently, and `apply plan.json` then refused it.
 */
function savedPlanWarning(out: string, output: Flags['output']): string | undefined {
  const named = out.endsWith('.json');
  if (output === 'json' && !named)
    return `\`apply\` takes a file as a saved plan only when its name ends in .json; name it ${escapeText(out)}.json to apply it`;
  if (output !== 'json' && named)
    return `the ${output} plan is written, which \`apply\` does not take; add --output json to save a plan it can apply`;
  return undefined;
}

/**
 * What the base held outside `dir` that a --base plan of it must know (assumed-state.ts
 * BaseElsewhere): the manifests of this change that the base held elsewhere and it moved here
 * (a copy stays with its directory: read-moved-in.ts), looked for only when some manifest has
 * no record at the base (a new one, or one moved in).
 */
async function baseOutside(
  dir: string,
  desired: LoadResult,
  baseRead: LoadResult,
  commit: string,
  baseSandbox: { sandbox: string } | undefined,
): Promise<BaseElsewhere | undefined> {
  const atBase = new Set([...baseRead.manifests, ...baseRead.held].map((m) => recordId(m.sandbox, m.key)));
  const sought = desired.manifests.filter((m) => !atBase.has(recordId(m.sandbox, m.key)));
  if (sought.length === 0 || baseSandbox === undefined) return undefined;
  const { movedInAtBase } = await import('../../manifest/read-moved-in.js');
  const movedIn = await movedInAtBase(dir, commit, sought, baseSandbox.sandbox);
  return movedIn.length === 0 ? undefined : { movedIn, sourceRoot: sourceRootOf(dir) };
}

/** The one line a plan of a directory the working tree no longer has carries. */
function goneNote(dir: string, ref: string): Plan['diagnostics'][number] {
  return {
    severity: 'warning',
    file: '.',
    line: 0,
    column: 0,
    rule: 'base/source-dir-gone',
    message: `${dir} is gone from the working tree (this change removes the directory): every audience it holds in --base "${ref}" is planned for removal`,
  };
}

export function planCommand(setExit: (code: number) => void): Command {
  const command = new Command('plan')
    .description('Show the API calls that would make the audiences match the manifests (changes nothing)')
    .argument('[dir]', 'directory of manifests', '.')
    .option(
      '--base <git-ref>',
      'pull-request plan: compare with the manifests at this ref (no state, no network)',
    )
    .option(
      '--refresh',
      'read the recorded audiences back from AEP (bulk-get) and plan what changed outside audiencectl',
    )
    .addOption(
      // Not only for --refresh: a plan without it that left the file out placed the manifests
      // in another sandbox, or read another store, than the apply (review-36a L-5).
      new Option(
        '--config <file>',
        'AEP configuration file (YAML or JSON), also without --refresh: its defaultSandbox is the sandbox of manifests that name none, its state: the store read (unless --state or AUDIENCECTL_STATE); its credentials are used only by --refresh (a manifest naming a sandbox they do not reach is an error)',
      ).env('AUDIENCECTL_CONFIG'),
    )
    .addOption(
      choiceOption('--output <format>', 'text, json or markdown', ['text', 'json', 'markdown']).default(
        'text',
      ),
    )
    .option('--out <file>', 'write the plan to a file (with --output json: a plan `apply` can run)')
    .option(
      '--detailed-exitcode',
      'exit 0 when there are no changes, 2 when there are, 3 when a step is blocked',
    )
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 success (with or without changes), 1 errors. With --detailed-exitcode:',
        '0 no changes, 2 changes to apply, 3 some steps blocked (or an older checkout apply would refuse), 1 errors.',
        '',
        'Examples:',
        '  audiencectl plan audiences/ --state .audiencectl-state',
        '  audiencectl plan audiences/ --refresh --config audiencectl.yaml',
        '  audiencectl plan audiences/ --base origin/main --output markdown --out plan.md --detailed-exitcode',
        '  audiencectl plan audiences/ --output json --out plan.json && audiencectl apply plan.json',
      ].join('\n'),
    );
  /** One plan; `snapshotServes` false: the state snapshot serves no record (each is read, and it is written anew). */
  const planOnce = async (dir: string, flags: Flags, invoked: Command, snapshotServes: boolean, say: Say) => {
    if (flags.out) await assertWritableFile(flags.out, '--out');
    if (flags.refresh && flags.base !== undefined)
      throw new UsageError(
        'BAD_FLAG',
        '--refresh reads the service; a --base plan reads no state and no service',
      );
    // A pull request that removes the whole directory: the base says what it held.
    const gone = flags.base !== undefined && isMissing(dir);
    if (!gone) assertDirectory(dir, INCLUDE_HINT);
    const now = Math.floor(Date.now() / 1000);
    const { location, from: stateFrom } = await locateState(flags);
    // The flags typed here, which the commands its messages print carry (src/cli/paste-flags.ts).
    const typed = pasteFlagsOf(invoked);
    // Even a --base plan, which reads neither the store nor the working tree's copy of a
    // manifest it already holds: the plan would still replace the file.
    if (flags.out)
      await assertOutElsewhere(
        flags.out,
        {
          stateDir: location.kind === 'dir' ? location.dir : undefined,
          manifestsDir: dir,
          isManifest: fileSelector(flags),
        },
        '--out',
      );
    // Audiences of two kinds (src/plan/quiet.ts): those whose manifest and record the caches
    // serve in sync are left as lines, for a plan that reads nothing they could matter to
    // beyond what planQuiet checks: no service (--refresh, --adopt, credentials to read runs
    // or a sandbox's configuration with), no base, no scope, no plan saved or written to a file.
    const quietWanted =
      flags.base === undefined &&
      flags.refresh !== true &&
      flags.output === 'text' &&
      flags.out === undefined &&
      flags.adopt !== true &&
      flags.include === undefined &&
      flags.exclude === undefined &&
      credentialsAbsent(flags);
    // A --base plan reads no state: where --state points does not matter to it.
    const storeExists = flags.base === undefined && (await stateStoreExists(location, stateFrom));
    if (flags.base === undefined && location.kind === 'dir' && !storeExists)
      say(missingStoreWarning(location.dir, typed, stateFrom));
    // Asked of git while the manifests and state are read: a process of its own.
    const remotes = flags.base === undefined ? workTreeRemotes(dir) : undefined;
    // The manifests (read and parsed by the parser threads) and the state (read here) at once.
    const cacheFile =
      flags.base === undefined
        ? await manifestCacheFile(location, storeExists)
        : await baseManifestCacheFile(dir);
    // A PostgreSQL store keeps a copy of the cache for machines without one (a fresh CI runner).
    const keepCache =
      cacheFile && flags.base === undefined && location.kind === 'postgres'
        ? await seedManifestCache(() => openStoreFor(flags, location), cacheFile, dir)
        : undefined;
    const snapshotFile = flags.base === undefined ? stateSnapshotFile(location, storeExists) : undefined;
    // With a large manifest cache, a thread of its own reads and hashes it and lists and
    // stats the files the caches describe (src/scan), while this one reads the snapshot (as
    // the thread starts) and decodes both caches. Without one, the parser threads keep both
    // cores busy: no third thread, and the snapshot is read in the thread pool. A small one
    // is read here: the thread's start-up would cost more than it takes over.
    const scan =
      cacheFile !== undefined && scansInThread(cacheFile)
        ? startFactScan({
            manifests: { root: dir, options: readOptions(flags), cacheFile },
            ...(snapshotFile !== undefined && location.kind === 'dir' ? { stateDir: location.dir } : {}),
          })
        : undefined;
    // The thread started as the command began (scan/prestart.ts), if this plan has no use for it.
    if (!scan) dropScanThread();
    const snapshot =
      snapshotFile === undefined
        ? undefined
        : { file: snapshotFile, bytes: snapshotBytes(snapshotFile, snapshotServes, scan !== undefined) };
    // git lists the base tree while the working tree is read (its files are compared after).
    const asked = flags.base === undefined ? undefined : await askBase(dir, flags.base);
    const [working, read] = await Promise.all([
      gone
        ? {
            loaded: emptyLoad(flags),
            saveCache: () => Promise.resolve(false),
            files: new Map(),
            unread: undefined,
          }
        : loadDesiredDir(
            dir,
            flags,
            {
              ...(cacheFile ? { cacheFile } : {}),
              ...(scan ? { cacheBytes: scan.manifestCache, listing: scan.manifests } : {}),
              ...(quietWanted ? { quiet: true } : {}),
            },
            say,
          ),
      flags.base === undefined ? readRecorded(flags, snapshot, scan, typed, quietWanted) : undefined,
    ]).finally(() => {
      scan?.stop();
      // The parser thread started as the command began (parser-prestart.ts), if no pool took it.
      dropParserThread();
    });
    const { saveCache } = working;
    // The quiet pairs apart (quietWanted), until something needs them made objects (whole).
    const split: QuietSplit | undefined =
      'quiet' in working && working.quiet && read?.quiet
        ? splitQuiet(working.quiet, () => working.loaded, read.state, read.quiet, flags.sandbox)
        : undefined;
    // A manifest of a sandbox no configured credentials reach: its file held, named (as apply
    // refuses it). None without credentials (quietWanted): the rest alone is as all of them.
    let desired = await holdUnconfiguredSandboxes(split ? split.rest : working.loaded, flags);
    // Hashed and written by a thread of its own while this one plans: a plan that cannot
    // write its cache (a read-only store) still plans; it only costs the next one time.
    const cacheWritten = saveCache();
    // Awaited at the end; a plan that fails before must not also report it as unhandled.
    cacheWritten.catch(() => undefined);
    // Quiet records without a quiet manifest to pair them with are made objects at once.
    let stored = recordedOfRead(split, read);
    /** Every quiet pair made an object: the load and state as read without `quiet`. */
    let whole = split === undefined;
    const makeWhole = () => {
      if (whole || !split) return;
      whole = true;
      ({ desired, recorded: stored } = split.whole());
      recorded = stored;
    };
    // The base was applied with the default sandbox its own configuration file says, when
    // the repository holds that file (base-sandbox.ts).
    const baseSandbox = stored
      ? undefined
      : await baseDefaultSandbox(
          flags,
          invoked.getOptionValueSource('sandbox') === 'cli',
          flags.base!,
          asked,
        );
    // The base tree after the working tree: its unchanged files are taken from it.
    const atBase =
      stored || !baseSandbox
        ? undefined
        : await readBase(
            dir,
            { ...flags, sandbox: baseSandbox.sandbox },
            flags.base!,
            working.files,
            gone,
            asked,
          );
    const baseRead = atBase?.loaded;
    // What the base holds but could not read: the planner says what that hides (assumed-state.ts).
    // The commit the base was read at: what it held outside the directory is read there too.
    const baseCommit = baseRead && !gone ? (await asked?.commit)?.trim() : undefined;
    const elsewhereAtBase =
      baseRead && baseCommit ? await baseOutside(dir, desired, baseRead, baseCommit, baseSandbox) : undefined;
    const unread = baseRead && unreadBase(baseRead, elsewhereAtBase?.movedIn);
    let recorded =
      stored ?? assumedStateFrom(baseRead!, new Date(now * 1000).toISOString(), unread, elsewhereAtBase);
    const paste = pasteOfPlan(flags, typed, dir);
    // A fork's clone is planned as the repository its upstream names, when the store knows only that one.
    const remotesFound = remotes ? await remotes : undefined;
    // With other remotes, it reads every record's repository: the quiet ones' too.
    if (remotesFound !== undefined && remotesFound.others.length > 0) makeWhole();
    const cloned = remotesFound
      ? cloneRepository(remotesFound, stored ?? { meta: undefined, audiences: [] })
      : {};
    if (cloned.note !== undefined) say(`note: ${escapeText(cloned.note)}\n`);
    const repository = cloned.repository === undefined ? {} : { repository: cloned.repository };
    // A --base plan's records are assumed: no mark to tell another repository by.
    const roots = flags.base === undefined ? await planRoots(dir, stored, repository.repository) : undefined;
    const base = {
      ...planOptionsFrom(flags, now),
      // A --base plan's records are assumed: they hold no directory to compare with.
      ...(flags.base === undefined ? { sourceRoot: sourceRootOf(dir), ...repository } : {}),
      ...(roots === undefined ? {} : { roots }),
      // Unless some are moved in: then only those name no directory (or another).
      ...(elsewhereAtBase?.sourceRoot === undefined ? {} : { sourceRoot: elsewhereAtBase.sourceRoot }),
      ...(unread ? { unreadBase: unread } : {}),
      ...(paste ? { paste } : {}),
    };
    const live =
      flags.base === undefined ? await liveView(flags, desired, recorded, base, location, say) : {};
    // What the service was read for (a left run, an adoption, a late DELETE) is of the rest's
    // records alone (a quiet one has no run, intent or DELETE, and its manifest its record):
    // the same reads; the plan made of every audience then.
    if (Object.keys(live).length > 0) makeWhole();
    const options = flags.base === undefined ? { ...base, ...live } : base;
    // A --base plan's records come from the same directory at the base: none is above it, and
    // one whose file the change moves out of it is looked for as an apply's own (baseCommit).
    // The working tree's listing hands over the files it left out (a directory gone has none).
    // What was found elsewhere for the plan made last: `--out`'s notes plan with it again.
    let found: readonly ManifestElsewhere[] | undefined;
    const look = lookElsewhere(dir, flags, {
      above: flags.base === undefined,
      unread: working.unread,
      ...(baseCommit ? { baseCommit } : {}),
    });
    const planned = {
      repository: options.repository,
      origin: options.repository === undefined ? undefined : cloned.origin,
      sourceRoot: options.sourceRoot,
    };
    let result: Plan;
    if (!whole && split) {
      // Of two kinds, the quiet pairs left as lines unless the plan needs them made objects.
      const made = await planSplit(split, { desired, recorded }, options, look, planned);
      ({ plan: result, found } = made);
      if (made.made) ({ desired, recorded } = made.made);
    } else {
      result = await planHoldingElsewhere(
        (elsewhere) => {
          found = elsewhere;
          return plan(desired, recorded, { ...options, elsewhere });
        },
        recorded,
        look,
        planned,
      );
    }
    // A --base plan assumes the base branch is applied: no record says from which commit.
    const checkout =
      flags.base === undefined
        ? await planCheckout(dir, result, recorded, flags.output === 'json', repository.repository, roots)
        : {};
    if (checkout.older) result.olderCheckout = checkout.older;
    // What the base read itself found (a link not followed, a warning in a file this change
    // fixes): said once, marked as the base's; an error there is no error of this change.
    if (baseRead)
      result.diagnostics = [
        ...(gone ? [goneNote(dir, flags.base!)] : []),
        ...(baseSandbox?.warning ? [baseSandbox.warning] : []),
        ...result.diagnostics,
        ...baseDiagnostics(baseRead, desired, flags.base!),
      ];
    // A JSON plan of a directory records what it was made from, so `apply plan.json` can check it.
    if (flags.output === 'json' && flags.base === undefined) {
      // With the saved plan's schema (zod): loaded only for a JSON plan.
      const { planOrigin, planOrgs } = await import('../../apply/saved-plan.js');
      // The org the credentials name, if any: `apply plan.json` refuses others.
      const orgOf = await configuredOrgs(flags);
      const orgs = orgOf && planOrgs(result, orgOf);
      result.origin = planOrigin(
        {
          dir: path.resolve(dir),
          sandbox: flags.sandbox,
          ...(flags.include ? { include: flags.include } : {}),
          ...(flags.exclude ? { exclude: flags.exclude } : {}),
          ...(flags.maxFileBytes ? { maxFileBytes: flags.maxFileBytes } : {}),
        },
        desired,
        recorded,
        options,
      );
      if (orgs) result.origin.orgs = orgs;
      // A store never written has no lineage: where it is tells it from another (review 38p F1).
      if (recorded.meta?.lineage === undefined) {
        result.origin.store = storeIdentity(describeLocation(location));
        if (read?.identity !== undefined) result.origin.storeIdentity = read.identity;
      }
      if (checkout.head) result.origin.revision = checkout.head;
    }
    // The org of each sandbox its steps go to, in the text and Markdown a reviewer reads (the
    // JSON records it in origin.orgs); read only for a plan with steps, made with credentials.
    const shownOrgs =
      flags.output !== 'json' && result.steps.length > 0 && !credentialsAbsent(flags)
        ? stepOrgs(result.steps, await configuredOrgs(flags))
        : undefined;
    if (flags.out) {
      // No saved plan is asked of a --base plan (it reads no state), nor of /dev/stdout or a FIFO.
      const saved = flags.base === undefined && !(await isStreamTarget(flags.out));
      const warning = saved ? savedPlanWarning(flags.out, flags.output) : undefined;
      if (warning !== undefined) say(`Warning: --out ${escapeText(flags.out)}: ${warning}\n`);
      await writeOutFile(flags.out, renderPlan(result, flags.output, false, shownOrgs), '--out');
      // What the text plan says besides its steps (blocked steps, held audiences, diagnostics,
      // an older checkout): a plan saved for a later apply still says why it exits 1 or 3.
      // The text plan's commands (this process's flags, the directory as typed), not the file's.
      const typedPaste = flags.base === undefined ? withManifestsDir(typed, dir) : undefined;
      const asText =
        typedPaste === undefined || flags.output === 'text'
          ? undefined
          : () => plan(desired, recorded, { ...options, paste: typedPaste, elsewhere: found });
      say(`${outNotes(result, asText)} Written to ${escapeText(flags.out)}.\n`);
    } else {
      process.stdout.write(renderPlan(result, flags.output, useColor(process.stdout), shownOrgs));
    }
    setExit(planExitCode(result, flags.detailedExitcode === true));
    read?.save();
    // The copy in a PostgreSQL store is taken from the cache as written.
    await cacheWritten;
    await keepCache?.();
  };
  addPlanOptions(addSourceOptions(command)).action(async (dir: string, flags: Flags, invoked: Command) => {
    // The lines the first attempt said: the second says each of its own only if it is new.
    const said = new Set<string>();
    const sayFirst: Say = (line) => {
      said.add(line);
      process.stderr.write(line);
    };
    try {
      await planOnce(dir, flags, invoked, true, sayFirst);
    } catch (error) {
      // An applied spec the snapshot's specs section no longer holds as its records' lines
      // say (snapshot-specs.ts), met once the plan read it: made again, from the records. Its
      // warnings and notes (the configuration's, the manifests' read) come again with it.
      if (!(error instanceof SnapshotSpecError)) throw error;
      await planOnce(dir, flags, invoked, false, (line) => {
        if (!said.has(line)) process.stderr.write(line);
      });
    }
  });
  return command;
}
