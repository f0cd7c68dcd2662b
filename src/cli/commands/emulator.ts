import { Command } from 'commander';

// Placeholder until the emulator lands (issue 4): the command exists so the CLI is wired.
export function emulatorCommand(_setExit: (code: number) => void): Command {
  return new Command('emulator').description('Run the External Audiences API emulator (not yet implemented)');
}
