// npm run demo: the whole job against the embedded emulator, in a temporary state directory.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// The CLI's own rule (built by `npm run build`, which the demo needs anyway): colour a
// terminal only, never with NO_COLOR set or TERM=dumb.
import { painter, useColor } from '../dist/cli/color.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(root, 'dist', 'cli', 'main.js');
const examples = path.join(root, 'examples', 'audiences');
const state = mkdtempSync(path.join(tmpdir(), 'audiencectl-demo-'));
const paint = painter(useColor(process.stdout));

function step(title, args, okCodes) {
  process.stdout.write(`\n${paint('bold', `$ audiencectl ${args.join(' ')}`)}   # ${title}\n\n`);
  // Node 22+ would keep the CLI's compiled code in the user's cache directory: the demo
  // writes nothing outside its temporary directory.
  const env = { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' };
  const { status } = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: root, env });
  if (!okCodes.includes(status ?? -1)) {
    process.stderr.write(`demo: "${args[0]}" exited ${status}\n`);
    rmSync(state, { recursive: true, force: true });
    process.exit(1);
  }
}

step('check the manifests', ['validate', examples], [0]);
step(
  'apply them to an emulator started in-process',
  ['apply', examples, '--emulator', '--state', state, '--auto-approve', '--poll-interval', '200'],
  [0],
);
step('what audiencectl recorded', ['state', 'list', '--state', state], [0]);
step('plan again: nothing is left to do', ['plan', examples, '--state', state], [0]);
rmSync(state, { recursive: true, force: true });
