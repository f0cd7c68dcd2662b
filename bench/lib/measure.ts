import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built CLI measured: this checkout's, or `BENCH_CLI` (the dist/cli/main.js of another build,
 * say the code before a change, so that both are measured in the same hour).
 */
export const CLI = process.env.BENCH_CLI
  ? path.resolve(process.env.BENCH_CLI)
  : fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const REPORT_RSS = fileURLToPath(new URL('./report-rss.mjs', import.meta.url));

export type Measurement = {
  seconds: number;
  peakRssMb: number;
  /**
   * User + system CPU time of every thread of the process, to its end (its threads' teardown after
   * its `exit` event too), and of the processes it waited for (git).
   */
  cpuSeconds: number;
  code: number;
  stdout: string;
  stderr: string;
};

/**
 * The node that runs what is measured: this one, or `BENCH_NODE` (the path of another
 * node binary, say Node 24, the production image's, beside this machine's Node 20).
 */
export const MEASURED_NODE = process.env.BENCH_NODE ?? process.execPath;

/**
 * Runs node from a bash that reports, once it has waited for it, its children's CPU time (`times`:
 * what the kernel counted for node and what node waited for, to the end). node's own count at its
 * `exit` event (report-rss.mjs) misses its threads' teardown and the work after it, 0.1–0.5 s of a
 * 10,000-audience plan, and git's.
 */
const TIMED = 'node=$1; shift; "$node" "$@"; code=$?; echo __TIMES__ >&2; times >&2; exit $code';

/** The children's user + system seconds of bash's `times` after its `__TIMES__` line ("0m1.234s 0m0.056s"). */
function timesSeconds(stderr: string): number {
  const match = /__TIMES__\n[^\n]*\n(\d+)m([\d.,]+)s (\d+)m([\d.,]+)s/.exec(stderr);
  if (!match) return NaN;
  const [, um, us, sm, ss] = match.map((part) => Number(part.replace(',', '.'))) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return um * 60 + us + sm * 60 + ss;
}

/** Runs the built CLI (or another script) once and measures its wall time, CPU time and peak RSS. */
export function measureCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { script?: string; cwd?: string } = {},
): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const node = [MEASURED_NODE, '--import', REPORT_RSS, options.script ?? CLI, ...args];
    const child = spawn('bash', ['-c', TIMED, 'bash', ...node], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const match = /__PEAK_RSS_KB__ (\d+)/.exec(stderr);
      resolve({
        seconds,
        peakRssMb: match ? Number(match[1]) / 1024 : NaN,
        cpuSeconds: timesSeconds(stderr),
        code: code ?? -1,
        stdout,
        stderr,
      });
    });
  });
}
