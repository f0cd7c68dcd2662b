#!/usr/bin/env node
import { outputFailed, outputLost } from '../output-failure.js';
import { enableCompileCache } from './compile-cache.js';
import { reuseFreedMemory } from './reuse-freed-memory.js';

// First: what the start-up itself allocates and frees is kept for reuse too.
reuseFreedMemory();

// Node 22.1 and later keep the code V8 compiled from our bundle on disk: compiling it
// was a tenth of the CPU of a short command, and the CLI is started by every CI job,
// hook and controller pass. In the user's own cache directory (NODE_COMPILE_CACHE
// overrides it; NODE_DISABLE_COMPILE_CACHE=1 turns it off), not Node's default under
// the shared /tmp, where another user could plant entries. Node 20 has no such call.
// Before the import below, so that what it loads is cached too.
await enableCompileCache();
const { endedOnBug, runCli } = await import('./run-cli.js');

// A standard stream that cannot be written stops the command (src/output-failure.ts).
process.stdout.on('error', (error: NodeJS.ErrnoException) => outputFailed(error, 'stdout'));
process.stderr.on('error', (error: NodeJS.ErrnoException) => outputFailed(error, 'stderr'));

const code = await runCli(process.argv);
// A command that ends after its output failed has lost what it printed: not a success.
process.exitCode = outputLost() && code === 0 ? 1 : code;
// After a bug, what it left running (a parser thread it was giving files to) would keep the
// process, and a CI job, waiting for ever: it exits once what it printed is written.
if (endedOnBug()) process.stdout.write('', () => process.stderr.write('', () => process.exit()));
