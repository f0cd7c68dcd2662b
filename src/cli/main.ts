#!/usr/bin/env node
import { runCli } from './run-cli.js';

// A closed standard output (`audiencectl state list | head -1`) is not an error: what
// is left to print goes nowhere, and the command ends with its own exit code.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

process.exitCode = await runCli(process.argv);
