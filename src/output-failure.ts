/**
 * What a process does when what it prints cannot be written: shared by the standard streams
 * (src/cli/main.ts) and the controller's log, which pino writes to standard error by a stream
 * of its own (src/log.ts).
 *
 * A closed reader (`audiencectl state list | head -1`) is not an error: what is left to print
 * goes nowhere, and the command ends with its own exit code. Any other write error (a full
 * disk, an I/O error, a file size limit) loses what the command prints: one line on standard
 * error says so (when it is standard output that failed), and the command stops as an interrupt
 * stops it, never with a stack trace. An apply or a controller drains (calls in flight finish
 * and are recorded, its lock is released) and exits non-zero; a command with no interrupt to
 * honour exits 1 at once.
 */

let lost = false;

/** Whether a write failed other than by a closed reader: the command's exit is then not 0. */
export function outputLost(): boolean {
  return lost;
}

/** Stops the process on the write error of `what` (once; a closed reader is ignored). */
export function outputFailed(error: NodeJS.ErrnoException, what: 'stdout' | 'stderr' | 'log'): void {
  if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED' || lost) return;
  lost = true;
  if (what === 'stdout')
    process.stderr.write(`Error: the standard output cannot be written: ${error.message}\n`);
  process.exitCode = 1;
  if (process.listenerCount('SIGTERM') > 0) process.kill(process.pid, 'SIGTERM');
  else process.exit(1);
}
