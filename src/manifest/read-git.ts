import { spawn } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { UsageError } from '../errors.js';
import { SYMLINK_NOT_FOLLOWED, type Diagnostic } from './diagnostics.js';
import { sourceFileFromBytes } from './decode.js';
import type { SourceFile } from './load.js';
import { fileSelector } from '../source/file-filter.js';
import { DEFAULT_MAX_FILE_BYTES, type ReadDirOptions, type ReadDirResult } from './read-dir.js';
import { compareText } from '../text/compare.js';
import { escapeText } from '../text/safe-text.js';
import { COMMIT_ID } from '../state/commit-id.js';

type TreeEntry = { mode: string; type: string; object: string; size: number; path: string };

/** `git ls-tree -r -l -z` lines: `<mode> <type> <object> <size>\t<path>`. */
function parseLsTree(output: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of output.split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode = '', type = '', object = '', size = ''] = record.slice(0, tab).trim().split(/\s+/);
    entries.push({ mode, type, object, size: Number(size) || 0, path: record.slice(tab + 1) });
  }
  return entries;
}

/** Reads many blobs through one `git cat-file --batch`, instead of a process per file. */
function readBlobs(cwd: string, objects: readonly string[]): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(firstLine(stderr) || `exit code ${String(code)}`));
      const all = Buffer.concat(chunks);
      const blobs = new Map<string, Buffer>();
      let offset = 0;
      while (offset < all.length) {
        const eol = all.indexOf(0x0a, offset);
        const header = all.subarray(offset, eol === -1 ? all.length : eol).toString();
        // `<object> <type> <size>`; an object the repository lacks is `<object> missing`.
        const [object = '', type = '', size = ''] = header.split(' ');
        const length = Number(size);
        if (eol === -1 || type !== 'blob' || !/^\d+$/.test(size) || eol + 1 + length > all.length)
          return reject(new Error(`object ${object} is ${type === 'missing' ? 'missing' : 'unreadable'}`));
        blobs.set(object, all.subarray(eol + 1, eol + 1 + length));
        offset = eol + 1 + length + 1;
      }
      resolve(blobs);
    });
    // A git that exits early (no such directory, a broken repository) is reported by 'close'.
    child.stdin.on('error', () => undefined);
    child.stdin.end(objects.map((o) => `${o}\n`).join(''));
  });
}

/** The first non-empty line of a git message, without git's "fatal: " prefix. */
function firstLine(text: string): string {
  const line = text.split('\n').find((part) => part.trim() !== '') ?? '';
  return line.trim().replace(/^(?:fatal|error): /, '');
}

/** Why a git command failed, in one line: its own message, else the error's. */
function gitReason(error: unknown): string {
  return escapeText(firstLine(error instanceof Error ? error.message : String(error)));
}

/**
 * Range and set notations: `rev-parse` answers them with several ids, or one that starts
 * with `^` (`^HEAD`), or none at all (`HEAD^@`, `HEAD^!`, `HEAD^-` with --verify).
 */
function isRangeNotation(ref: string, answer: string): boolean {
  if (answer.includes('\n') || answer.startsWith('^')) return true;
  return answer === '' && /\^[@!]$|\^-\d*$/.test(ref);
}

/**
 * What to add to "cannot resolve": a shallow clone (actions/checkout fetches one commit
 * by default) or a repository without commits is the usual cause, and has a fix.
 */
async function whyUnresolved(git: SimpleGit): Promise<string> {
  const [head, shallow] = await Promise.all([
    git.raw(['rev-parse', '--verify', '--quiet', 'HEAD']).catch(() => ''),
    git.raw(['rev-parse', '--is-shallow-repository']).catch(() => ''),
  ]);
  if (head.trim() === '') return ': the repository has no commits yet';
  if (shallow.trim() === 'true') {
    return ': it is a shallow clone; fetch the history and the base branch (actions/checkout: fetch-depth: 0)';
  }
  return '';
}

/**
 * Reads the manifests of `dir` as they are at `ref` of its repository, without
 * touching the working tree: the desired state of the base branch of a pull request.
 */
export async function readManifestsAtRef(
  dir: string,
  ref: string,
  options: ReadDirOptions & {
    /**
     * Whether the caller already holds this file with this git blob id (the working
     * tree's, for `plan --base`): then it is not read, and its path is in `known`.
     */
    holds?: (relative: string, blob: string) => boolean;
  } = {},
): Promise<ReadDirResult & { known: string[] }> {
  const shown = escapeText(ref);
  if (ref.startsWith('-') || ref.trim() === '') {
    throw new UsageError('BAD_REF', `"${shown}" is not a git revision`);
  }
  const git = simpleGit({ baseDir: path.resolve(dir) });
  let top: string;
  try {
    top = (await git.revparse(['--show-toplevel'])).trim();
  } catch (cause) {
    // Said apart from a bad ref: "cannot resolve HEAD" sent users looking for a ref.
    throw new UsageError(
      'NOT_A_GIT_REPO',
      `--base: ${escapeText(dir)} is not in a git repository; run plan --base in a checkout of the manifests`,
      { cause },
    );
  }
  let answer: string;
  try {
    answer = (
      await git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])
    ).trim();
  } catch {
    answer = '';
  }
  // A range (`main..HEAD`, `HEAD...main`, `^HEAD`) is several revisions, or an exclusion:
  // there is no one tree to read the base from.
  if (isRangeNotation(ref, answer))
    throw new UsageError(
      'BAD_REF',
      `--base: "${shown}" is not a single revision: give a commit, branch or tag`,
    );
  if (!COMMIT_ID.test(answer))
    throw new UsageError(
      'BAD_REF',
      `--base: cannot resolve "${shown}" in the git repository at ${escapeText(dir)}${await whyUnresolved(git)}`,
    );
  const commit = answer;

  // git names the top by its real path: a directory reached through a symlink (macOS's
  // /tmp, a linked workspace) is placed by its real path too, or it lies "outside".
  const prefix = path
    .relative(top, await realpath(path.resolve(dir)))
    .split(path.sep)
    .join('/');
  let listing: string;
  try {
    listing = await git.raw(['ls-tree', '-r', '-l', '-z', '--full-tree', commit, '--', prefix || '.']);
  } catch (cause) {
    throw new UsageError(
      'GIT_FAILED',
      `--base: cannot list the files of "${shown}" (git ls-tree: ${gitReason(cause)})`,
      { cause },
    );
  }
  const selected = fileSelector(options);
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const diagnostics: Diagnostic[] = [];
  const wanted: Array<TreeEntry & { relative: string }> = [];
  for (const entry of parseLsTree(listing)) {
    const relative = prefix ? entry.path.slice(prefix.length + 1) : entry.path;
    if (entry.type !== 'blob' || !selected(relative)) continue;
    if (entry.mode === '120000') {
      diagnostics.push({
        severity: 'warning',
        file: relative,
        line: 0,
        column: 0,
        rule: SYMLINK_NOT_FOLLOWED,
        message: 'symlink in the base tree; not followed',
      });
      continue;
    }
    wanted.push({ ...entry, relative });
  }
  const known = wanted.filter((entry) => options.holds?.(entry.relative, entry.object) === true);
  const knownPaths = new Set(known.map((entry) => entry.relative));
  const small = wanted.filter((entry) => entry.size <= maxBytes && !knownPaths.has(entry.relative));
  const blobs = await readBlobs(
    top,
    small.map((entry) => entry.object),
  ).catch((cause: unknown) => {
    throw new UsageError(
      'GIT_FAILED',
      `--base: cannot read the files of "${shown}" (git cat-file: ${gitReason(cause)})`,
      { cause },
    );
  });
  const files: SourceFile[] = wanted
    .filter((entry) => !knownPaths.has(entry.relative))
    .sort((a, b) => compareText(a.relative, b.relative))
    .map((entry) => {
      const bytes = entry.size <= maxBytes ? blobs.get(entry.object) : undefined;
      if (bytes !== undefined) return sourceFileFromBytes(entry.relative, bytes);
      return {
        path: entry.relative,
        unreadable: {
          severity: 'error',
          file: entry.relative,
          line: 0,
          column: 0,
          rule: 'source/file-too-large',
          message: `file is ${entry.size} bytes, over the ${maxBytes}-byte limit`,
        },
      };
    });
  return { files, diagnostics, known: [...knownPaths] };
}
