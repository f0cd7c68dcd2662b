import { stat } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { LoadResult } from '../manifest/load.js';
import { startManifestLoader } from '../manifest/load-isolated.js';
import { readManifestDir, type ReadDirOptions } from '../manifest/read-dir.js';
import { countOption } from './typed-options.js';

export type SourceFlags = {
  include?: string[];
  exclude?: string[];
  maxFileBytes?: number;
  sandbox: string;
};

export const DEFAULT_SANDBOX = 'prod';

/** Flags shared by every command that reads manifests. */
export function addSourceOptions(command: Command): Command {
  return command
    .option('--include <glob...>', 'manifest files to read (default: **/*.yaml **/*.yml)')
    .option('--exclude <glob...>', 'files to skip')
    .addOption(countOption('--max-file-bytes <n>', 'refuse larger files (default: 1048576)'))
    .addOption(
      new Option('--sandbox <name>', 'sandbox of manifests that name none')
        .env('AEP_SANDBOX')
        .default(DEFAULT_SANDBOX),
    );
}

function readOptions(flags: SourceFlags): ReadDirOptions {
  return {
    ...(flags.include ? { include: flags.include } : {}),
    ...(flags.exclude ? { exclude: flags.exclude } : {}),
    ...(flags.maxFileBytes ? { maxFileBytes: flags.maxFileBytes } : {}),
  };
}

export async function assertDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError('NO_SOURCE_DIR', `${dir} is not a directory`);
}

/** Loads the desired state from a directory, or from `ref` of its git repository. */
export async function loadDesired(dir: string, flags: SourceFlags, ref?: string): Promise<LoadResult> {
  await assertDirectory(dir);
  const loader = startManifestLoader();
  // git is loaded only for pull-request plans.
  const read = await (
    ref === undefined
      ? readManifestDir(dir, readOptions(flags), loader.accept)
      : import('../manifest/read-git.js').then((git) => git.readManifestsAtRef(dir, ref, readOptions(flags)))
  ).catch((error: unknown) => {
    loader.close();
    throw error;
  });
  const loaded = await loader.load(read.files, { defaultSandbox: flags.sandbox });
  loaded.diagnostics.unshift(...read.diagnostics);
  return loaded;
}
