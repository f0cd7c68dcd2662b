import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** Checks, before anything runs, that `file` can be written: its directory exists and it is not one. */
export async function assertWritableFile(file: string, flag: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) throw new UsageError('OUT_IS_DIR', `${flag}: ${file} is a directory; name a file`);
  const dir = path.dirname(path.resolve(file));
  const parent = await stat(dir).catch(() => undefined);
  if (!parent) throw new UsageError('OUT_NO_DIR', `${flag}: the directory ${dir} does not exist`);
  if (!parent.isDirectory()) throw new UsageError('OUT_NO_DIR', `${flag}: ${dir} is not a directory`);
}

/** Writes `text` to `file`; a failure is one line naming the flag and the reason. */
export async function writeOutFile(file: string, text: string, flag: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError('OUT_UNWRITABLE', `${flag}: cannot write ${file} (${code})`, { cause: error });
  }
}
