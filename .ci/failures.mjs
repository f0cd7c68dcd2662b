#!/usr/bin/env node
// Prints, last in CI's log, which tests failed and why, read from the JSON reports vitest
// wrote (--reporter=json): a CI that keeps only the end of the log then still shows them,
// where the suite's own report of a failure sits minutes of output above the end.
// Usage: node .ci/failures.mjs <label>=<report.json> ...
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const MESSAGE_LINES = 12;
const excerpt = (text) =>
  stripVTControlCharacters(text)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, MESSAGE_LINES)
    .map((line) => `      ${line}`)
    .join('\n');

for (const argument of process.argv.slice(2)) {
  const [label, path] = argument.split(/=(.*)/s);
  if (!existsSync(path)) {
    console.log(`== ${label}: no test report (${path}): the run ended before writing it`);
    continue;
  }
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const failures = [];
  for (const file of report.testResults ?? []) {
    const name = relative(process.cwd(), file.name);
    const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    for (const test of failed)
      failures.push(`  ${name} > ${test.fullName}\n${excerpt((test.failureMessages ?? []).join('\n'))}`);
    // A file that failed outside any test (an import error, a hook).
    if (failed.length === 0 && file.status === 'failed')
      failures.push(`  ${name}\n${excerpt(file.message || 'failed outside its tests')}`);
  }
  // Written by .ci/unhandled.mjs: they fail a run whose every test passed.
  const unhandled = existsSync(`${path}.unhandled.json`)
    ? JSON.parse(readFileSync(`${path}.unhandled.json`, 'utf8'))
    : [];
  for (const error of unhandled)
    failures.push(
      `  unhandled error${error.file ? ` while ${relative(process.cwd(), error.file)}` : ''}${error.test ? ` > ${error.test}` : ''} ran\n${excerpt(error.message)}`,
    );
  const counts = `${report.numFailedTests ?? 0} of ${report.numTotalTests ?? 0} tests failed, ${unhandled.length} unhandled errors`;
  if (failures.length === 0) console.log(`== ${label}: ${counts}`);
  else console.log(`== ${label}: ${counts}:\n${failures.join('\n')}`);
}
