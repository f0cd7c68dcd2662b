import { Command } from 'commander';
import { formatDiagnostic, hasErrors } from '../../manifest/diagnostics.js';
import { ExitCode } from '../exit-codes.js';
import { addSourceOptions, loadDesired, type SourceFlags } from '../source-options.js';

export function validateCommand(setExit: (code: number) => void): Command {
  const command = new Command('validate')
    .description('Check every manifest under a directory; print problems as file:line:col')
    .argument('[dir]', 'directory of manifests', '.')
    .addHelpText(
      'after',
      '\nExamples:\n  audiencectl validate audiences/\n  audiencectl validate . --exclude "drafts/**"',
    );
  addSourceOptions(command).action(async (dir: string, flags: SourceFlags) => {
    const loaded = await loadDesired(dir, flags);
    for (const d of loaded.diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = loaded.diagnostics.length - errors;
    process.stdout.write(
      `${loaded.manifests.length} valid manifest(s); ${errors} error(s), ${warnings} warning(s) in ${loaded.failedFiles.length} failed file(s)\n`,
    );
    setExit(hasErrors(loaded.diagnostics) ? ExitCode.Error : ExitCode.Ok);
  });
  return command;
}
