#!/usr/bin/env node
// `npm test`: every check. Builds dist/ first (the suite spawns the built CLI), then runs
// the test suite and, beside it, the static checks one after another. The suite's workers
// wait on the servers and processes they start for part of their time, and the checks
// (tsc and eslint, prettier, the import-cycle check) fill it: on two cores this takes about as long as the
// suite alone, where checks first, suite after, took a minute more. The checks' reports
// are printed after the suite's, so they never cut into its live output.
import { spawn } from 'node:child_process';
import { runInLanes, runScript } from './npm-script.mjs';

// The type check and eslint share one TypeScript program (scripts/types-and-lint.mjs): ~30 s
// of CPU less than `typecheck` and `lint:eslint` one after the other.
const CHECKS = ['check:types-lint', 'lint:format', 'lint:cycles'];

const build = await runScript('build');
process.stdout.write(build.report);
if (!build.ok) process.exit(1);

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// `npm test -- <paths or vitest flags>` hands them to vitest, as `vitest run` last in the chain did.
const suite = new Promise((resolve) => {
  const child = spawn(npm, ['run', '--silent', 'test:unit', '--', ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  child.on('close', (code) => resolve(code === 0));
});
const reports = [];
const checks = runInLanes(CHECKS, 1, (result) => reports.push(result.report));

const suiteOk = await suite;
const checksOk = await checks;
for (const report of reports) process.stdout.write(report);
process.exit(suiteOk && checksOk ? 0 : 1);
