/**
 * What our worker threads start with besides the defaults. Node's compile cache, turned on
 * by module.enableCompileCache in the main thread (src/cli/compile-cache.ts), is that
 * thread's alone: a worker thread looks for NODE_COMPILE_CACHE in its own environment as it
 * starts, and without it compiled its modules anew in every process (Node 24: the parser
 * threads', the fact scan's and the cache writer's code, each run), while the main
 * thread's came from the cache.
 */
let compileCacheDir: string | undefined;

/** The compile cache directory the main thread uses, for the threads to use too. */
export function shareCompileCache(dir: string): void {
  compileCacheDir = dir;
}

/**
 * Worker options (spread into them): the environment with NODE_COMPILE_CACHE when the cache
 * was turned on by call; nothing (the default: a copy of process.env) otherwise, and when
 * the variable is set already (the thread reads it as the main thread did). Not set in
 * process.env itself: the processes we start (git, hooks) are not ours to cache.
 */
export function threadEnv(): { env?: NodeJS.ProcessEnv } {
  if (compileCacheDir === undefined || process.env.NODE_COMPILE_CACHE) return {};
  return { env: { ...process.env, NODE_COMPILE_CACHE: compileCacheDir } };
}
