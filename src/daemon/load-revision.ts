import { startManifestLoader } from '../manifest/load-isolated.js';
import type { LoadResult } from '../manifest/load.js';
import { readManifestDir } from '../manifest/read-dir.js';
import type { ReconcileSettings } from './pass-types.js';

/**
 * Reads every manifest of one revision; broken files become diagnostics and held
 * audiences. The controller reads through DesiredCache instead, which gives the same.
 */
export async function loadRevision(
  dir: string,
  settings: Pick<ReconcileSettings, 'read' | 'defaultSandbox'>,
  /** A git source's checkout, of which `dir` is the `--path` (SourceRevision.top). */
  top?: string,
): Promise<LoadResult> {
  const loader = startManifestLoader();
  // With filters, the CLI's warning when they select no file, as DesiredCache gives it.
  const filtered = settings.read.include !== undefined || settings.read.exclude !== undefined;
  const options = {
    ...settings.read,
    ...(top === undefined ? {} : { checkoutTop: top }),
    ...(filtered ? { warnIfNothingSelected: true } : {}),
  };
  const read = await readManifestDir(dir, options, loader.accept).catch((error: unknown) => {
    loader.close();
    throw error;
  });
  const loaded = await loader.load(read.files, { defaultSandbox: settings.defaultSandbox });
  loaded.diagnostics.unshift(...read.diagnostics);
  return loaded;
}
