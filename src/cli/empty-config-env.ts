import type { Command } from 'commander';

/**
 * AUDIENCECTL_CONFIG set but empty (`AUDIENCECTL_CONFIG: ${{ vars.CONFIG }}` with the variable
 * unset; the GitHub action reads '' as no file) is unset, as every other empty variable is, and
 * as validate, plan and the state commands already read it. Commander hands '' on as the
 * option's value: the commands that connect (init, plan --refresh, apply, run) then read a
 * file named "" and stopped with "Cannot read the configuration file : it is a directory"
 * (review cli-40). `--config ''` typed is refused as empty (typed-options.ts).
 */
export function unsetEmptyConfigVariable(command: Command): void {
  if (command.getOptionValueSource('config') !== 'env' || command.getOptionValue('config') !== '') return;
  command.setOptionValueWithSource('config', undefined, 'default');
}
