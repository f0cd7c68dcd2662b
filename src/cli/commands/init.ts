import { Command } from 'commander';
import { addStateOptions, openStoreFor, type StateFlags } from '../state-options.js';

async function init(flags: StateFlags): Promise<void> {
  const store = await openStoreFor(flags);
  try {
    for (const line of await store.init()) process.stdout.write(`${line}\n`);
  } finally {
    await store.close();
  }
}

/**
 * `audiencectl init`: creates the state store, or applies the PostgreSQL schema
 * migrations it lacks. Every other command only checks the schema and refuses an
 * outdated one, so a schema change is always a step someone chose to take.
 */
export function initCommand(_setExit: (code: number) => void): Command {
  return addStateOptions(
    new Command('init').description('Create the state store, or migrate its PostgreSQL schema'),
  )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  audiencectl init                                   # the directory .audiencectl-state',
        '  audiencectl init --state postgres://audiencectl@db.internal:5432/audiences?schema=audiencectl',
      ].join('\n'),
    )
    .action((flags: StateFlags) => init(flags));
}
