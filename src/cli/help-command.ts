import { Command } from 'commander';
import { closestKey } from '../manifest/suggest.js';

/** `audiencectl state`: the words that run `command`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/**
 * The command `words` name under `parent` (`help state list`: `state`, then its `list`), or a
 * usage error naming the first word that is none. commander's own `help` took one word only:
 * `help nosuch` printed the whole usage without naming it, `help state nosuch` exited 0 with
 * `state`'s help, and `help state list` showed `state`'s, not `list`'s.
 */
function commandNamed(parent: Command, words: readonly string[]): Command {
  // As commander reports an unknown command: one line (run-cli's oneLineError), exit 1.
  const refuse = (at: Command, message: string): never =>
    at.error(`error: ${message}`, { code: 'commander.unknownCommand' });
  let at = parent;
  for (const word of words) {
    if (at.commands.length === 0)
      return refuse(at, `unknown command '${word}': ${commandPath(at)} has no subcommands`);
    const next = at.commands.find((command) => command.name() === word || command.aliases().includes(word));
    if (next === undefined) {
      const near = closestKey(
        word,
        at.commands.map((command) => command.name()),
      );
      return refuse(at, `unknown command '${word}'${near === undefined ? '' : ` (did you mean ${near}?)`}`);
    }
    at = next;
  }
  return at;
}

/**
 * Replaces commander's `help [command]` of `parent` (a command with subcommands) by one that
 * takes a path of commands and refuses, as any unknown command is (exit 1), a word that names
 * none. `help` alone is the help of `parent`.
 */
export function addHelpCommand(parent: Command): void {
  parent.helpCommand(false);
  parent.addCommand(
    new Command('help')
      .summary('display help for command')
      .description('Display the help of a command (`help state list`: that of `state list`)')
      .argument('[command...]', 'the command, and its subcommand')
      .action((words: string[]) => {
        commandNamed(parent, words).help();
      }),
  );
}

/**
 * `state nosuch --help` (or `--help nosuch`) showed the help of `state` and exited 0, where
 * `state nosuch` and `help state nosuch` refuse the word: with a help flag, commander shows
 * the help of the last command it knew whatever words follow. The first word that is no
 * option (`command.args`, what commander parsed) must name a subcommand of `command` (a
 * command with subcommands), as after `help`; options are left to commander.
 */
export function refuseUnknownBeforeHelp(command: Command): void {
  // 'beforeHelp': commander's event before any help of `command` is written (addHelpText's).
  command.on('beforeHelp', () => {
    const word = command.args.find((arg) => !arg.startsWith('-'));
    if (word !== undefined) commandNamed(command, [word]);
  });
}
