import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

// docs/emulator.md: "A bad flag ... is reported in one line naming the flag, exit code 1".
// A --client whose org is not an IMS org, or two --client of one id, named an internal
// option path (`Invalid emulator options: clients[0].orgId: ...`) the user never typed.

describe('emulator --client with a bad value', () => {
  it('is refused in one line naming --client, never the secret', async () => {
    for (const args of [
      ['--client', 'partner:secret-value-123:not an org'],
      ['--client', 'a:secret-value-123:ABC@AdobeOrg', '--client', 'a:secret-value-456:ABC@AdobeOrg'],
    ]) {
      const result = await runCli(['emulator', '--port', '0', ...args], { stopOn: /listening on/ });
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 1, stdout: '' });
      expect(result.stderr, JSON.stringify(args)).toMatch(/^Error: --client: [^\n]*\n$/);
      expect(result.stderr).not.toContain('clients[');
      expect(result.stderr).not.toContain('secret-value');
    }
  });
});
