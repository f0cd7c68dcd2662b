import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Longest files first, so that the run does not end on one long file while the other workers
 * idle. vitest's own order compares a file it has timed with one it has not by size, which is
 * no order at all when both kinds are mixed: on CI's Node 24 pass (timed by the Node 20 pass
 * before it, except the specs of our processes, which run only there) the 23 s of faults.spec
 * started among the last files and ran alone. Here a file not timed yet goes first (those are
 * the specs of our processes on CI, the costliest), the larger first; then the timed ones,
 * the longest first.
 */
/** Above any file's duration in ms: a file not timed yet sorts before every timed one. */
const UNTIMED = 1e12;

export default class LongestFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const weight = (file: TestSpecification): number => {
      const key = `${file.project.name}:${path.relative(this.ctx.config.root, file.moduleId)}`;
      return cache.getFileTestResults(key)?.duration ?? UNTIMED + (cache.getFileStats(key)?.size ?? 0);
    };
    const weights = new Map(files.map((file) => [file, weight(file)]));
    return Promise.resolve([...files].sort((a, b) => (weights.get(b) ?? 0) - (weights.get(a) ?? 0)));
  }
}
