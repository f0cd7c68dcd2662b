// Runs one npm script with its output collected, for scripts/checks.mjs and scripts/test.mjs.
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs `npm run <script>`; resolves to whether it passed and a report: a status line, then its output whole. */
export function runScript(script) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(npm, ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      let report = `== ${script}: ${code === 0 ? 'ok' : `FAILED (exit ${code})`} in ${seconds} s\n`;
      if (output.trim() !== '') report += `${output.trimEnd()}\n`;
      resolve({ ok: code === 0, report });
    });
  });
}

/** Runs `scripts` one after another in each of `lanes` lanes, calling `onDone` with each result as it ends. */
export async function runInLanes(scripts, lanes, onDone) {
  const queue = [...scripts];
  const results = [];
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let script = queue.shift(); script !== undefined; script = queue.shift()) {
        const result = await runScript(script);
        results.push(result);
        onDone(result);
      }
    }),
  );
  return results.every((result) => result.ok);
}
