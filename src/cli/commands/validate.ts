import { Command, Option } from 'commander';
import { annotationPaths } from '../annotation-paths.js';
import { choiceOption } from '../typed-options.js';
import { hasErrors } from '../../manifest/diagnostics.js';
import { DIAGNOSTIC_FORMATS, renderDiagnostics, type DiagnosticFormat } from '../diagnostic-output.js';
import { ExitCode } from '../exit-codes.js';
import { addSourceOptions, type FilterHelp, type SourceFlags } from '../source-options.js';
import { holdUnconfiguredSandboxes } from '../unconfigured-sandboxes.js';
import { loadPaths, type ValidateLoad } from '../validate-sources.js';

type Flags = SourceFlags & { output: DiagnosticFormat; config?: string };

/** How the filters match a file named on the command line (src/cli/named-file-filters.ts). */
const NAMED_FILE_FILTERS: FilterHelp = {
  include:
    "; a directory's files are matched by their path relative to it, a file named on the command line by its path as typed (audiences/loyalty/gold.yaml: --include 'audiences/loyalty/**'); filters written for its directory ('loyalty/**') are an error that gives the glob it needs",
  exclude: '; matched as --include is (a named file by its path as typed)',
};

function summaryLine(loaded: ValidateLoad): string {
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = loaded.diagnostics.length - errors;
  // Files that are not ours, and named files the filters left out: two reasons, said apart.
  const notOurs = loaded.skippedFiles.length;
  const empty = loaded.emptyFiles.length;
  const unselected = loaded.readNotes.length;
  return (
    `${loaded.manifests.length} valid manifest(s); ${errors} error(s), ${warnings} warning(s) in ` +
    `${loaded.failedFiles.length} failed file(s)` +
    (notOurs > 0 ? `; ${notOurs} file(s) skipped, not audiencectl manifests` : '') +
    (empty > 0 ? `; ${empty} file(s) skipped, empty or only comments` : '') +
    (unselected > 0 ? `; ${unselected} file(s) not selected by --include/--exclude` : '') +
    (notOurs + empty + unselected > 0 ? ' (see the notes)' : '')
  );
}

export function validateCommand(setExit: (code: number) => void): Command {
  const command = new Command('validate')
    .description('Check manifests in directories and files; print problems as file:line:col')
    .argument('[paths...]', 'directories and files of manifests (default: .)')
    .addOption(
      choiceOption(
        '--output <format>',
        'text, json (an array of diagnostics) or github (workflow annotations)',
        DIAGNOSTIC_FORMATS,
      ).default('text'),
    )
    .addOption(
      new Option(
        '--config <file>',
        'AEP configuration file: its defaultSandbox is the sandbox of manifests that name none; a manifest naming a sandbox its credentials do not reach is an error (checked without reading the secrets the file names)',
      ).env('AUDIENCECTL_CONFIG'),
    )
    .addHelpText(
      'after',
      [
        '',
        'Documents whose apiVersion is not audiencectl/v1 (Helm charts, compose files, Kubernetes',
        'manifests) are skipped with a note; one that claims audiencectl/v1 is checked in full.',
        'A file with no document (empty, or only comments) is skipped with a note too.',
        'Paths are shown relative to the current directory; with --output github, a file in a git',
        'work tree by its path from the top of it, as GitHub places annotations. Exit 0 when no',
        'file has an error.',
        '',
        'Examples:',
        '  audiencectl validate audiences/',
        '  audiencectl validate . --exclude "drafts/**"',
        '  audiencectl validate audiences/gold.yaml audiences/silver.yaml   # as a pre-commit hook passes them',
        '  audiencectl validate audiences/ --output github                  # annotations in a GitHub workflow',
        '  audiencectl validate audiences/ --output json',
      ].join('\n'),
    );
  addSourceOptions(command, {}, NAMED_FILE_FILTERS).action(async (paths: string[], flags: Flags) => {
    const loaded = await holdUnconfiguredSandboxes(
      await loadPaths(paths.length > 0 ? paths : ['.'], flags),
      flags,
    );
    const items = [...loaded.diagnostics, ...loaded.notes, ...loaded.readNotes];
    const inRepository = annotationPaths();
    const shown =
      flags.output === 'github' ? items.map((item) => ({ ...item, file: inRepository(item.file) })) : items;
    process.stdout.write(renderDiagnostics(shown, flags.output, summaryLine(loaded)));
    setExit(hasErrors(loaded.diagnostics) ? ExitCode.Error : ExitCode.Ok);
  });
  return command;
}
