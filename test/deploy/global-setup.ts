import type { TestProject } from 'vitest/node';
import { ensureHelmBinaries, type HelmBinary } from './helm-binaries.js';

declare module 'vitest' {
  export interface ProvidedContext {
    helmBinaries: HelmBinary[];
  }
}

/** Downloads (or finds in the cache) both helm majors once, before any chart test. */
export default async function setup(project: TestProject): Promise<void> {
  project.provide('helmBinaries', await ensureHelmBinaries());
}
