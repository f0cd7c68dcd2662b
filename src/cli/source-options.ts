import type { BaseTreeAnswers } from '../manifest/read-git.js';
import { Option, type Command } from 'commander';
import type { LookElsewhere } from '../apply/held-elsewhere.js';
import { UsageError } from '../errors.js';
import { assembleLoad } from '../manifest/assemble.js';
import type { LoadResult } from '../manifest/load.js';
import type { ElsewhereSource } from '../manifest/read-elsewhere.js';
import { startManifestLoader } from '../manifest/load-isolated.js';
import { loadManifestDir, type DirLoad, type DirLoadOptions } from '../manifest/read-source.js';
import type { ReadDirOptions } from '../manifest/read-dir.js';
import { checkedOption, countOption, withEnv, type EnvNames } from './typed-options.js';
import { MAX_FILE_BYTES_LIMIT } from '../manifest/read-file.js';
import { checkSandboxName, DEFAULT_SANDBOX } from './sandbox-option.js';
import { applyFileDefaultSandbox } from './manifest-sandbox.js';
import { compareText } from '../text/compare.js';
import { escapeText } from '../text/safe-text.js';
import { lookAt, unlistableReason } from './unreadable-path.js';

export type SourceFlags = {
  include?: string[];
  exclude?: string[];
  maxFileBytes?: number;
  sandbox: string;
};

/** Repeatable single-value option: `--include a --include b`, never swallowing the directory argument. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** What `--include` and `--exclude` add to their help where files are named (`validate`). */
export type FilterHelp = { readonly include: string; readonly exclude: string };

/**
 * Flags shared by every command that reads manifests; `env` names their variables (`run`),
 * `filterHelp` what the filters' help adds.
 */
export function addSourceOptions(command: Command, env: EnvNames = {}, filterHelp?: FilterHelp): Command {
  return command
    .addOption(
      withEnv(
        new Option(
          '--include <glob>',
          `manifest files to read; repeat for more (default: **/*.yaml and **/*.yml)${filterHelp?.include ?? ''}`,
        ).argParser(collect),
        env,
      ),
    )
    .addOption(
      withEnv(
        new Option(
          '--exclude <glob>',
          `files to skip; repeat for more${filterHelp?.exclude ?? ''}`,
        ).argParser(collect),
        env,
      ),
    )
    .addOption(
      withEnv(
        countOption('--max-file-bytes <n>', 'refuse larger files (default: 1048576; at most 268435456)', {
          max: MAX_FILE_BYTES_LIMIT,
        }),
        env,
      ),
    )
    .addOption(
      checkedOption(
        '--sandbox <name>',
        'sandbox of manifests that name none; unless given, a defaultSandbox in the configuration file wins over AEP_SANDBOX and prod',
        checkSandboxName,
      )
        .env('AEP_SANDBOX')
        .default(DEFAULT_SANDBOX),
    )
    .hook('preAction', applyFileDefaultSandbox);
}

export function readOptions(flags: SourceFlags): ReadDirOptions {
  return {
    ...(flags.include ? { include: flags.include } : {}),
    ...(flags.exclude ? { exclude: flags.exclude } : {}),
    ...(flags.maxFileBytes ? { maxFileBytes: flags.maxFileBytes } : {}),
    ...(flags.include || flags.exclude ? { warnIfNothingSelected: true } : {}),
  };
}

/**
 * How a plan of `dir` read with `flags` looks for the manifests of the records it would
 * remove where it did not read, and for the directory above that records it would re-point
 * were applied from (src/manifest/read-elsewhere.ts, loaded only then).
 */
export function lookElsewhere(
  dir: string,
  flags: SourceFlags,
  options: Pick<ElsewhereSource, 'above' | 'sourceRoot' | 'unread' | 'baseCommit'> = {},
): LookElsewhere {
  return async (records, recorded, repointed, { repository, origin, takenOver }) => {
    const { findManifestsElsewhere } = await import('../manifest/read-elsewhere.js');
    return findManifestsElsewhere(
      records,
      {
        dir,
        include: flags.include,
        exclude: flags.exclude,
        defaultSandbox: flags.sandbox,
        maxFileBytes: flags.maxFileBytes,
        planned: { repository, origin },
        ...options,
      },
      recorded,
      repointed,
      takenOver,
    );
  };
}

/** What a file given for the manifests directory is told; `state import` has no --include. */
const EVERY_MANIFEST = 'every manifest under it is read';

/** The hint of plan and apply, whose --include selects files. */
export const INCLUDE_HINT = `${EVERY_MANIFEST}; --include selects files`;

export function assertDirectory(dir: string, hint = EVERY_MANIFEST): void {
  const look = lookAt(dir);
  if (look.kind === 'unreadable')
    throw new UsageError('SOURCE_DIR_UNREADABLE', `${escapeText(dir)}: cannot be read: ${look.reason}`);
  if (look.kind === 'absent')
    throw new UsageError(
      'NO_SOURCE_DIR',
      `${escapeText(dir)} does not exist: give the directory of the manifests`,
    );
  if (!look.info.isDirectory())
    throw new UsageError(
      'NO_SOURCE_DIR',
      `${escapeText(dir)} is not a directory: give the directory of the manifests (${hint})`,
    );
  // Listing it is the reader's first step, whose failure there surfaced as an internal error.
  const unlistable = unlistableReason(dir);
  if (unlistable !== undefined)
    throw new UsageError('SOURCE_DIR_UNREADABLE', `${escapeText(dir)}: cannot read folder: ${unlistable}`);
}

/** The stderr note of a source with files that are not ours, or empty; validate names them. */
function noteSkipped(loaded: LoadResult, say: (line: string) => void): void {
  // On stderr, so that a plan on stdout (JSON, Markdown) stays whole; validate names the files.
  if (loaded.skippedFiles.length > 0) {
    say(
      `note: ${loaded.skippedFiles.length} file(s) skipped, not audiencectl manifests (\`audiencectl validate\` lists them)\n`,
    );
  }
  if (loaded.emptyFiles.length > 0) {
    say(
      `note: ${loaded.emptyFiles.length} file(s) skipped, empty or only comments (\`audiencectl validate\` lists them)\n`,
    );
  }
}

/**
 * Loads the desired state from a directory, through the manifest cache when one is
 * given (`saveCache` writes it back, in a thread of its own: await it before exiting).
 */
export async function loadDesiredDir(
  dir: string,
  flags: SourceFlags,
  /** The manifest cache, and what was started early for it (see loadManifestDir's options). */
  cache?: Pick<DirLoadOptions, 'cacheFile' | 'cacheBytes' | 'listing' | 'quiet'>,
  /** Where its notes go (`plan` made again says each once). */
  say: (line: string) => void = (line) => process.stderr.write(line),
): Promise<{
  /** Every file made objects: with `quiet`, only when read (see `quiet`). */
  loaded: LoadResult;
  saveCache: DirLoad['saveCache'];
  files: DirLoad['files'];
  unread: DirLoad['unread'];
  quiet?: DirLoad['quiet'];
}> {
  // Without a cache, no await before the files are listed and handed to the parser threads:
  // a plan reads the state meanwhile, in long synchronous runs that would hold them back.
  // (With one, the fact scan's thread lists and stats while this one decodes the cache.)
  assertDirectory(dir);
  const load = await loadManifestDir(dir, {
    ...readOptions(flags),
    defaultSandbox: flags.sandbox,
    ...cache,
  });
  // A quiet file has no note: the others' are all there are.
  const { quiet } = load;
  noteSkipped(quiet ? quiet.assemble(new Set(quiet.files.map((file) => file.index))) : load.result, say);
  return {
    get loaded() {
      return load.result;
    },
    ...(quiet ? { quiet } : {}),
    saveCache: () => load.saveCache(),
    // Handed to the search of removed records' manifests (lookElsewhere): no second walk.
    unread: load.unread,
    // Only `plan --base` reads it: built then.
    get files() {
      return load.files;
    },
  };
}

/**
 * Loads the desired state from a directory, or from `ref` of its git repository. With
 * `working` (the working tree's files and their git blob ids), a file of `ref` with
 * the same path and blob id is taken from it, neither read nor parsed again: a
 * pull request's base differs from its head in a few files.
 */
export async function loadDesired(
  dir: string,
  flags: SourceFlags,
  ref?: string,
  working?: DirLoad['files'],
): Promise<LoadResult> {
  if (ref === undefined) return (await loadDesiredDir(dir, flags)).loaded;
  assertDirectory(dir);
  return (await loadAtRef(dir, flags, ref, working)).loaded;
}

/**
 * git's first answers for a base read of `dir` at `ref`, asked now (read-git.ts
 * askBaseTree); nothing for a ref readManifestsAtRef refuses before asking git.
 */
export async function askBase(dir: string, ref: string): Promise<BaseTreeAnswers | undefined> {
  if (ref.startsWith('-') || ref.trim() === '') return undefined;
  return (await import('../manifest/read-git.js')).askBaseTree(dir, ref);
}

/** A source with nothing in it: what a directory the working tree no longer has holds. */
export function emptyLoad(flags: SourceFlags): LoadResult {
  return assembleLoad([], { defaultSandbox: flags.sandbox });
}

/**
 * The manifests of `dir` at `ref` (see loadDesired), whether or not the working tree still
 * has `dir`; `present`: whether `ref` has it (a directory; else nothing is read).
 */
export async function loadAtRef(
  dir: string,
  flags: SourceFlags,
  ref: string,
  working?: DirLoad['files'],
  asked?: BaseTreeAnswers,
): Promise<{ loaded: LoadResult; present: boolean }> {
  const loader = startManifestLoader();
  // git is loaded only for pull-request plans.
  const holds = (relative: string, blob: string) => working?.get(relative)?.hash === blob;
  const read = await import('../manifest/read-git.js')
    .then((git) =>
      git.readManifestsAtRef(dir, ref, { ...readOptions(flags), holds, ...(asked ? { asked } : {}) }),
    )
    .catch((error: unknown) => {
      loader.close();
      throw error;
    });
  const parsed = await loader.parse(read.files);
  const reused = read.known.map((relative) => working!.get(relative)!.file);
  // In the order a full read gives (by path), so that every message is the same.
  const files = [...parsed, ...reused].sort((a, b) => compareText(a.path, b.path));
  const loaded = assembleLoad(files, { defaultSandbox: flags.sandbox });
  loaded.diagnostics.unshift(...read.diagnostics);
  return { loaded, present: read.present };
}
