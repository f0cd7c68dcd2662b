import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { readRegularText } from '../files/read-regular.js';
import { reasonOf } from '../state/errors.js';
// Not write-file-atomic: its signal-exit hook re-raised a SIGTERM that came during a write,
// and the emulator died by the signal instead of saving and exiting 0.
import { TEMP_SUFFIX, writeFileDurable } from '../state/durable-fs.js';
import { failure } from '../files/make-dirs.js';
import { DataDirError, dataDirProblem } from './data-dir.js';
import { AudienceRecord, NameHoldRecord, OperationRecord, RunRecord } from './model.js';
import type { Store } from './store.js';

export const STATE_FILE = 'emulator-state.json';
const WRITE_DELAY_MS = 25;

const Snapshot = z.object({
  version: z.literal(1),
  /** Hex HMAC key of the tokens, so tokens issued before a restart stay valid. */
  signingKey: z.string().regex(/^[0-9a-f]{64}$/),
  audiences: z.array(AudienceRecord),
  operations: z.array(OperationRecord),
  runs: z.array(RunRecord),
  /** Run start times per org and sandbox (the per-sandbox guardrail's last 24 h). */
  sandboxRuns: z.record(z.string(), z.array(z.number())).optional(),
  /** Written by older emulators: runs per sandbox and UTC day. */
  dailyRuns: z.record(z.string(), z.number()).optional(),
  /**
   * Which audience or operation holds each name. Rebuilt from the audiences before it was
   * kept, an admin-made duplicate (duplicateName) could come to hold its name; absent in
   * files of those emulators, which are read as then.
   */
  names: z.array(NameHoldRecord).optional(),
});
type Snapshot = z.infer<typeof Snapshot>;

/**
 * Removes the temporary files of state writes that never finished (`.emulator-state.json.<pid>
 * .<hex>.tmp`: an emulator killed mid-write left one, a whole copy of its state, for good).
 * Only the emulator holding the data directory's lock writes the state, so once this one
 * holds it every such file is litter. Best effort: one that cannot be removed is left.
 */
export async function sweepStateTemps(dataDir: string): Promise<void> {
  const prefix = `.${STATE_FILE}.`;
  const entries = await readdir(dataDir).catch((): string[] => []);
  for (const entry of entries.filter((name) => name.startsWith(prefix) && name.endsWith(TEMP_SUFFIX)))
    await rm(join(dataDir, entry), { force: true }).catch(() => undefined);
}

/** A problem of the state file, said as is and against `--data-dir` (the CLI's). */
function fileProblem(message: string, cause?: unknown): DataDirError {
  return new DataDirError(message, `--data-dir: ${message}`, cause === undefined ? undefined : { cause });
}

/**
 * Loads the data directory (made by makeDataDir) into `store`; returns the signing key it
 * holds, if any.
 */
export async function loadState(dataDir: string, store: Store): Promise<Buffer | undefined> {
  const file = join(dataDir, STATE_FILE);
  let text: string;
  try {
    text = await readRegularText(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A FIFO, a directory or a device where the state file belongs (read-regular.ts).
    if (error instanceof UsageError) throw fileProblem(error.message, error);
    throw fileProblem(`Cannot read ${file}: ${reasonOf(error)}`, error);
  }
  let parsed: ReturnType<typeof Snapshot.safeParse>;
  try {
    parsed = Snapshot.safeParse(JSON.parse(text));
  } catch (error) {
    throw fileProblem(`${file} is not valid JSON; move it away to start afresh.`, error);
  }
  if (!parsed.success) {
    throw fileProblem(`${file} is not an emulator state file; move it away to start afresh.`);
  }
  store.load(parsed.data);
  return Buffer.from(parsed.data.signingKey, 'hex');
}

function snapshot(store: Store, signingKey: Buffer): Snapshot {
  const audiences: AudienceRecord[] = [];
  const operations: OperationRecord[] = [];
  const runs: RunRecord[] = [];
  const names: NameHoldRecord[] = [];
  for (const scope of store.allScopes()) {
    audiences.push(...scope.audiences.values());
    operations.push(...scope.operations.values());
    runs.push(...scope.runs.values());
    for (const [key, hold] of scope.names) {
      // A deleted audience's name held for a while (deletedNames: held) is freed by a restart.
      if (hold.releasedAtMs !== undefined) continue;
      const { orgId, sandbox } = scope;
      names.push({ orgId, sandbox, key, operationId: hold.operationId, audienceId: hold.audienceId });
    }
  }
  return {
    version: 1,
    signingKey: signingKey.toString('hex'),
    audiences,
    operations,
    runs,
    sandboxRuns: Object.fromEntries(store.sandboxRuns),
    names,
  };
}

/**
 * Writes the whole state shortly after changes, coalescing bursts into one atomic write
 * (temp file, fsync, rename), so a crash leaves either the old or the new file.
 */
export class StateWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly dataDir: string,
    private readonly store: Store,
    private readonly signingKey: Buffer,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Writes the state at once into the directory (made by makeDataDir), so the token key is
   * kept even if nothing else changes; a directory that cannot be written is a user error,
   * reported now.
   */
  async init(): Promise<void> {
    try {
      await writeFileDurable(
        join(this.dataDir, STATE_FILE),
        JSON.stringify(snapshot(this.store, this.signingKey)),
      );
    } catch (error) {
      // writeFileDurable's own error says "it does not exist" for procfs' ENOENT: the cause is told.
      const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
      throw dataDirProblem(
        this.dataDir,
        `cannot hold the emulator's state: writing ${STATE_FILE} failed (${failure(cause)})`,
        error,
      );
    }
  }

  schedule(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, WRITE_DELAY_MS);
  }

  /** Writes now if anything changed; resolves when the file on disk holds the current state. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const text = JSON.stringify(snapshot(this.store, this.signingKey));
      try {
        await writeFileDurable(join(this.dataDir, STATE_FILE), text);
      } catch (error) {
        this.dirty = true;
        this.onError(error);
      }
    });
    await this.writing;
  }
}
