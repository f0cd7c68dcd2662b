import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { CLI, withTempDir } from '../helpers/cli.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { manifest, runsByName, story } from '../helpers/cli-story.js';
import { waitOutHeldCreates } from '../helpers/held-creates.js';
import { FileStateStore } from '../../src/state/file-store.js';

// Review 33b, M-2. docs/state.md: "An intent can be days old, and an audience a colleague made by hand since,
// after a POST of ours that made nothing, is someone else's." The create's resolution relies on
// `createdBy` for that, but skips the test "when no record shows one": the first create of a
// fresh store (a new repository, a new sandbox). Story: the apply's create POST is answered
// 500 (the service made nothing) and the apply is killed (kill -9, a CI job cancelled) before it
// learns more; the intent stays. Later a colleague creates an audience of that name in the UI.
// The next apply (once the wait for the killed POST to show has passed: steps/create-hold.ts)
// re-POSTs (409), finds the colleague's audience (created after the intent, by
// colleague@AdobeID) and adopts it as "the audience an interrupted create made": it then starts
// its "first run", PATCHes it to the manifest, and would delete it when the manifest goes.

describe('a colleague’s audience of the name, after an interrupted create of a fresh store', () => {
  it('is not adopted as our own', async () => {
    await withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, async (emulator) => {
      await withTempDir(async (dir) => {
        const s = await story(emulator, dir, {}, { inProcess: true });
        await s.write({ 'a.yaml': manifest('colleague-a', 'Colleague A') });

        emulator.control.queueFault({ kind: 'error500', endpoint: 'createAudience', count: 1 });
        let hit!: () => void;
        const reached = new Promise<void>((resolve) => (hit = resolve));
        let dead!: () => void;
        const killed = new Promise<void>((resolve) => (dead = resolve));
        const stop = emulator.control.observeRequests((request) => {
          if (request.endpoint !== 'createAudience' || request.status !== 500) return undefined;
          hit();
          return killed;
        });
        try {
          const child = spawn(
            process.execPath,
            [CLI, 'apply', `${dir}/m`, '--state', s.state, '--auto-approve'],
            { env: { ...process.env, ...s.env, NO_COLOR: '1' }, stdio: 'ignore' },
          );
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          await reached;
          child.kill('SIGKILL');
          await exited;
        } finally {
          dead();
          stop();
        }
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toEqual([]);

        // A colleague makes an audience of that name in the UI.
        const theirs = emulator.control.uiCreateAudience(
          DEMO_CLIENT.orgId,
          'prod',
          {
            name: 'Colleague A',
            originName: 'CUSTOM_UPLOAD',
            fields: [{ name: 'email', type: 'string', identityNs: 'email' }],
            sourceSpec: { path: 'theirs/list.csv', type: 'file' },
          },
          'colleague@AdobeID',
        );

        // The create is held while the killed POST may land (steps/create-hold.ts): a while later.
        await waitOutHeldCreates(new FileStateStore(s.state));
        const result = await s.apply();
        // Expected: blocked (an audience of that name made by someone else), not adopted.
        expect(result.stdout).not.toMatch(/ok {7}prod\/colleague-a create: adopted /);
        expect(runsByName(emulator), 'runs started on the colleague’s audience').toEqual({});
        expect(JSON.stringify(theirs)).toContain('colleague@AdobeID');
        // Blocked, one line naming the audience and its creator, with the import as the way out.
        expect(result.code).toBe(3);
        expect(result.stdout).toContain(
          `blocked  prod/colleague-a create: an audience named "Colleague A" already exists in sandbox "prod": it was made by colleague@AdobeID, a person's account, and audiencectl creates with a technical account (…@techacct.adobe.com): it was made outside audiencectl (found: ${theirs.id} (created `,
        );
        expect(result.stdout).toContain(`--audience-id ${theirs.id}`);
      });
    });
  });
});
