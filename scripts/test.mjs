#!/usr/bin/env node
// `npm test`, every check: builds dist/ first (tests spawn the built CLI), then runs the
// test suite and, beside it, the static checks one at a time. The suite spends part of
// its time waiting on the processes and servers it starts; the checks fill that time
// instead of running before it. Exits non-zero if anything failed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runScript, runScripts } from './checks.mjs';

const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));

if (!(await runScript('build'))) process.exit(1);

const suite = new Promise((resolve) => {
  const child = spawn(process.execPath, [vitest, 'run', ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  child.on('close', (code) => resolve(code === 0));
});
const checks = runScripts(['lint:eslint', 'typecheck', 'lint:format', 'lint:cycles'], 1);
const [suitePassed, checksPassed] = await Promise.all([suite, checks]);
if (!checksPassed) process.stdout.write('== a static check failed: see its output above\n');
process.exit(suitePassed && checksPassed ? 0 : 1);
