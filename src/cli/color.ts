import { Option, type Command } from 'commander';
import { choiceOption } from './typed-options.js';

/** `--color auto|always|never`; `--no-color` is `never`. */
export type ColorMode = 'auto' | 'always' | 'never';

let mode: ColorMode = 'auto';

/** `--color <when>` and `--no-color`, on the program (so every command takes them). */
export function addColorOptions(program: Command): Command {
  return program
    .addOption(
      // Checked with the command's options, in one pass (run-cli.ts).
      choiceOption(
        '--color <when>',
        'colour the output: auto (a terminal, no NO_COLOR, TERM not dumb), always, never',
        ['auto', 'always', 'never'],
      ),
    )
    .addOption(new Option('--no-color', 'same as --color never'));
}

/** Records the choice of the command line (`--color` value, or false for `--no-color`). */
export function setColorMode(value: unknown): void {
  if (value === false) mode = 'never';
  else if (value === 'always' || value === 'never' || value === 'auto') mode = value;
}

export type Terminal = { isTTY?: boolean | undefined };
type Env = Readonly<Record<string, string | undefined>>;

/** A terminal that understands escape sequences: a TTY whose TERM is not `dumb`. */
export function isSmartTerminal(stream: Terminal, env: Env = process.env): boolean {
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

/**
 * Whether to colour what goes to `stream`: `--color always|never` decide; `auto` (the
 * default) colours a terminal unless NO_COLOR is set (https://no-color.org) or TERM is dumb.
 */
export function useColor(stream: Terminal, env: Env = process.env, chosen: ColorMode = mode): boolean {
  if (chosen !== 'auto') return chosen === 'always';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isSmartTerminal(stream, env);
}

const CODES = { green: 32, yellow: 33, red: 31, cyan: 36, bold: 1, dim: 2 } as const;
export type Colour = keyof typeof CODES;
export type Paint = (colour: Colour, text: string) => string;

export function painter(color: boolean): Paint {
  return (colour, text) => (color ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text);
}
