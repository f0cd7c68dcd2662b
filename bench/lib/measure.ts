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
  /** User + system CPU time of every thread of the process. */
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

/** Runs the built CLI (or another script) once and measures its wall time, CPU time and peak RSS. */
export function measureCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { script?: string; cwd?: string } = {},
): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(MEASURED_NODE, ['--import', REPORT_RSS, options.script ?? CLI, ...args], {
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
      const cpu = /__CPU_US__ (\d+)/.exec(stderr);
      resolve({
        seconds,
        peakRssMb: match ? Number(match[1]) / 1024 : NaN,
        cpuSeconds: cpu ? Number(cpu[1]) / 1e6 : NaN,
        code: code ?? -1,
        stdout,
        stderr,
      });
    });
  });
}
