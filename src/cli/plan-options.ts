import type { Command } from 'commander';
import type { PlanOptions } from '../plan/plan.js';
import { countOption, withEnv, type EnvNames } from './typed-options.js';
import { planScopeOf, type FileFilters } from '../source/file-filter.js';
import { addStateOptions, type StateFlags } from './state-options.js';

export { DEFAULT_STATE_DIR } from './state-options.js';

export type PlanFlags = StateFlags & {
  allowReplace?: boolean;
  adopt?: boolean;
  allowMassDelete?: boolean;
  allowEmptySource?: boolean;
  allowMassRecreate?: boolean;
  maxDeletes?: number;
  runsPerDay: number;
  runsPerAudience: number;
};

/** Flags shared by `plan`, `apply` and `run`: where the state is, and the guards; `env` names their variables (`run`). */
export function addPlanOptions(command: Command, env: EnvNames = {}): Command {
  return addStateOptions(command)
    .option('--allow-replace', 'let changes that cannot be PATCHed delete and re-create audiences')
    .option(
      '--adopt',
      'a manifest without a record adopts the existing audience of its exact name (as metadata.adopt: true)',
    )
    .option('--allow-mass-delete', 'let the plan delete more audiences than --max-deletes (not when it is 0)')
    .option('--allow-empty-source', 'let a source with no manifests remove every managed audience')
    .option(
      '--allow-mass-recreate',
      'with --refresh: let it re-create more audiences it found missing than max(5, 10% of those the plan could remove)',
    )
    .addOption(
      withEnv(
        countOption(
          '--max-deletes <n>',
          'deletions (a replace counts as one) allowed without --allow-mass-delete; 0 never deletes (no delete or replace, even with --allow-mass-delete) (default: max(5, 10% of the audiences the plan could remove))',
          { zero: true },
        ),
        env,
      ),
    )
    .addOption(
      withEnv(
        countOption('--runs-per-day <n>', 'ingestion runs a sandbox may start a day').default('100'),
        env,
      ),
    )
    .addOption(
      withEnv(
        countOption('--runs-per-audience <n>', 'ingestion runs an audience may start a day').default('10'),
        env,
      ),
    );
}

/** The planner's options; `--include`/`--exclude` narrow which records the plan may remove. */
export function planOptionsFrom(flags: PlanFlags & FileFilters, now: number): PlanOptions {
  const scope = planScopeOf(flags);
  return {
    ...(scope ? { scope } : {}),
    now,
    allowReplace: flags.allowReplace ?? false,
    ...(flags.adopt ? { adopt: true } : {}),
    allowMassDelete: flags.allowMassDelete ?? false,
    allowEmptySource: flags.allowEmptySource ?? false,
    ...(flags.allowMassRecreate ? { allowMassRecreate: true } : {}),
    maxDeletes: flags.maxDeletes,
    runBudget: { perSandboxPerDay: flags.runsPerDay, perAudiencePerDay: flags.runsPerAudience },
  };
}
