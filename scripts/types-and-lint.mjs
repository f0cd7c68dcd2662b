#!/usr/bin/env node
// `npm run check:types-lint`: the type check (`npm run typecheck`) and eslint's lint
// (`npm run lint:eslint`) on one TypeScript program. Each alone builds and checks the whole
// program from tsconfig.json; here it is built once, its diagnostics are printed as tsc
// prints them, and eslint's type-aware rules read the same program, whose types the check
// has already resolved. `npm test` runs this; the two scripts stay for running one alone.
import path from 'node:path';
import ts from 'typescript';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '..');
const configPath = path.join(root, 'tsconfig.json');
const config = ts.getParsedCommandLineOfConfigFile(
  configPath,
  { noEmit: true },
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => report([diagnostic]),
  },
);
if (config === undefined) process.exit(1); // before any output of ours

const program = ts.createProgram({
  rootNames: config.fileNames,
  options: config.options,
  projectReferences: config.projectReferences,
  configFileParsingDiagnostics: config.errors,
});
const diagnostics = ts.getPreEmitDiagnostics(program);
report(diagnostics);

const eslint = new ESLint({
  cwd: root,
  // The TypeScript files are in tsconfig.json's program (eslint.config.js names it); eslint
  // reads the one built above instead of building its own.
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: false, programs: [program] } },
  },
});
const results = await eslint.lintFiles(['.']);
const formatter = await eslint.loadFormatter('stylish');
const lintOutput = await formatter.format(results);
if (lintOutput !== '') process.stdout.write(lintOutput);
// errorCount counts the fatal ones (a file that does not parse) too.
const lintErrors = results.reduce((sum, result) => sum + result.errorCount, 0);

// Not process.exit(): output written to a pipe (npm test reads it through one) is flushed first.
process.exitCode = diagnostics.length === 0 && lintErrors === 0 ? 0 : 1;

function report(list) {
  if (list.length === 0) return;
  const host = {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  };
  // As tsc: with colours and the source line on a terminal, one line per diagnostic otherwise.
  const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  process.stdout.write(format(list, host));
  process.stdout.write(`\nFound ${list.length} error${list.length === 1 ? '' : 's'}.\n`);
}
