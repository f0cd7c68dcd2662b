import { createInterface } from 'node:readline';

/**
 * Asks `question` on a terminal; resolves true only for "yes". Ctrl-C and Ctrl-D (or
 * the end of input) answer no: the apply is cancelled, without a stack trace.
 */
export function confirm(
  question: string,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, output });
    let settled = false;
    const finish = (yes: boolean): void => {
      if (settled) return;
      settled = true;
      rl.close();
      resolve(yes);
    };
    rl.on('SIGINT', () => {
      output.write('^C\n');
      finish(false);
    });
    rl.on('close', () => {
      if (!settled) output.write('\n');
      finish(false);
    });
    rl.question(question, (answer) => finish(answer.trim() === 'yes'));
  });
}
