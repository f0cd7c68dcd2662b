#!/usr/bin/env node
import module from 'node:module';
import path from 'node:path';
import { userCacheDir } from './user-cache-dir.js';

// Node 22.1 and later keep the code V8 compiled from our bundle on disk: compiling it
// was a tenth of the CPU of a short command, and the CLI is started by every CI job,
// hook and controller pass. In the user's own cache directory (NODE_COMPILE_CACHE
// overrides it; NODE_DISABLE_COMPILE_CACHE=1 turns it off), not Node's default under
// the shared /tmp, where another user could plant entries. Node 20 has no such call.
// Before the import below, so that what it loads is cached too.
(module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache?.(
  process.env.NODE_COMPILE_CACHE || path.join(userCacheDir(), 'audiencectl', 'compile-cache'),
);
const { runCli } = await import('./run-cli.js');

// A closed standard output (`audiencectl state list | head -1`) is not an error: what
// is left to print goes nowhere, and the command ends with its own exit code. Any other
// write error (a full disk, an I/O error) loses what the command prints: one line on standard
// error says so, and the command stops as an interrupt stops it, never with a stack trace. An
// apply drains (calls in flight finish and are recorded, its lock is released) and exits
// non-zero; a command with no interrupt to honour exits 1 at once.
let unwritable = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED' || unwritable) return;
    unwritable = true;
    if (stream === process.stdout)
      process.stderr.write(`Error: the standard output cannot be written: ${error.message}\n`);
    process.exitCode = 1;
    if (process.listenerCount('SIGTERM') > 0) process.kill(process.pid, 'SIGTERM');
    else process.exit(1);
  });
}

const code = await runCli(process.argv);
// A command that ends after its output failed has lost what it printed: not a success.
process.exitCode = unwritable && code === 0 ? 1 : code;
