import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import {
  executorEnv,
  formerRun,
  holdCreates,
  afterRepeatWait,
  interruptedCreate,
  lostOperation,
  withExecutor,
  type ExecutorEnv,
} from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { startAlteringProxy, type AlteringProxy } from '../helpers/altering-proxy.js';
import type { AudienceRecord } from '../../src/state/schema.js';

// An interrupted create of gold (its intent open, its POST's outcome unknown) adopts, on its
// 409, only an audience its own POST can have made: not one made long before it began, nor
// one another record holds.

const quiet = (name: string) => manifestObject(name, { ingestion: { onCreate: false } });

const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => `${r.step.id} ${r.status}`);

/**
 * silver and gold applied through a proxy in front of the env's emulator, altered by `alter`;
 * gold's create blocked: its message.
 */
async function goldBlockedThrough(env: ExecutorEnv, alter: (proxy: AlteringProxy) => void): Promise<string> {
  const proxy = await startAlteringProxy(env.emulator.url);
  try {
    alter(proxy);
    const outcome = await executorEnv(env.emulator, env.stateDir, proxy.url).apply([
      quiet('silver'),
      quiet('gold'),
    ]);
    const message = outcome.report?.results[0]?.message ?? '';
    expect(statuses(outcome), message).toEqual(['prod/gold:create blocked']);
    return message;
  } finally {
    await proxy.close();
  }
}

/** Another state store (a directory of its own) applying to the same sandbox, as a second CI job or a migrated store's source would. */
async function withOtherStore<T>(env: ExecutorEnv, fn: (other: ExecutorEnv) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-other-'));
  try {
    return await fn(executorEnv(env.emulator, dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const OWN_ACCOUNT = `${DEMO_CLIENT.clientId}@techacct.adobe.com`;

/**
 * gold's create begun with AEP's clock read, and never sent: its POST dropped before it reached
 * the service, the create held (it may have landed). Its intent stays open, as the create wrote
 * it, and the wait for that POST to show passes (afterRepeatWait): the next apply sends it again.
 */
async function createNeverSent(env: ExecutorEnv) {
  env.emulator.control.queueFault({ kind: 'drop', endpoint: 'createAudience', count: 1 });
  const first = await env.apply([quiet('gold')]);
  expect(statuses(first)).toEqual(['prod/gold:create blocked']);
  expect(env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
  const pending = await env.store().get('prod', 'gold');
  expect(pending?.intent?.kind).toBe('create');
  afterRepeatWait(env);
  return pending!;
}

/**
 * AEP's clock when the create began, at the earliest, as its intent records it; where it records
 * none (the code before this bound), the intent's own time: the emulator's clock is this host's.
 */
function beganInAep(record: AudienceRecord): number {
  const recorded = (record.pendingCreate as { earliestAepMs?: number } | undefined)?.earliestAepMs;
  return recorded ?? Date.parse(record.intent!.startedAt);
}

/**
 * The next create's POST is answered (202) but its operation fails, making nothing, and is
 * unknown to the service at both spellings of its path; returns the function that makes
 * the next lookup of an operation unknown the same way.
 */
function failedOperationUnknown(emulator: ExecutorEnv['emulator']): () => void {
  emulator.control.queueFault({ kind: 'operationFailure', endpoint: 'createAudience' });
  const unknownOperation = () =>
    emulator.control.queueFault({ kind: 'clientError', status: 404, endpoint: 'getOperation', count: 2 });
  unknownOperation();
  return unknownOperation;
}

/**
 * gold's name made by audiencectl's own account (another store's create) at `atMs`, AEP's clock;
 * `duplicateName`: beside a create operation that holds the name at that time.
 */
function madeAt(env: ExecutorEnv, atMs: number, options?: { duplicateName: true }) {
  const { clockOffsetMs } = env.emulator.control.settings();
  env.emulator.control.updateSettings({ clockOffsetMs: atMs - Date.now() });
  try {
    return env.emulator.control.uiCreateAudience(
      DEMO_CLIENT.orgId,
      'prod',
      quiet('gold').spec,
      OWN_ACCOUNT,
      options,
    );
  } finally {
    env.emulator.control.updateSettings({ clockOffsetMs });
  }
}

describe('an interrupted create takes for its own', () => {
  it('no audience of its name made 10 minutes before the create began', async () => {
    await withExecutor(undefined, async (env) => {
      // Made 28 minutes ago; the intent written 10 minutes after, past the wait for its POST to
      // show (create-hold.ts): sent again, and refused (409).
      env.emulator.control.updateSettings({ clockOffsetMs: -28 * 60_000 });
      const made = env.emulator.control.uiCreateAudience(DEMO_CLIENT.orgId, 'prod', quiet('gold').spec);
      env.emulator.control.updateSettings({ clockOffsetMs: 0 });
      await interruptedCreate(env, { startedAt: new Date(Date.now() - 18 * 60_000) });
      const outcome = await env.apply([quiet('gold')]);
      expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create blocked',
      ]);
      expect(outcome.report?.results[0]?.message).toContain(`${made.id} (created `);
      const gold = await env.store().get('prod', 'gold');
      expect(gold?.audienceId).toBeUndefined();
      expect(gold?.blocked?.code).toBe('100950-409');
    });
  });

  it("no audience of its name another store created a minute before the create began (AEP's clock): blocked, saying so and how to import it", async () => {
    await withExecutor(undefined, async (env) => {
      // This store's create: its intent written, its POSTs never reached the service.
      const pending = await createNeverSent(env);
      // Another store's create of the same name, with the same credentials, a minute before.
      const theirs = madeAt(env, beganInAep(pending) - 60_000).id;
      const outcome = await env.apply([quiet('gold')]);
      expect(statuses(outcome)).toEqual(['prod/gold:create blocked']);
      const message = outcome.report?.results[0]?.message ?? '';
      expect(message).not.toContain('adopted');
      expect(message).toMatch(
        /it was created (59|60) s before this create began \(in AEP's clock\), so no POST of this create made it: most likely another state store's create/,
      );
      expect(message).toContain(`found: ${theirs} (created `);
      expect(message).toContain(`audiencectl state import gold`);
      expect(message).toContain(`--audience-id ${theirs}`);
      const gold = await env.store().get('prod', 'gold');
      expect(gold?.audienceId).toBeUndefined();
      expect(gold?.blocked?.found).toEqual([theirs]);
    });
  });

  it("no audience of its name another store created a minute before the create began (AEP's clock), where the service does not know the operation its POST was answered with", async () => {
    await withExecutor({ operationDelayMs: 0 }, async (env) => {
      const unknownOperation = failedOperationUnknown(env.emulator);
      const first = await env.apply([quiet('gold')]);
      expect(statuses(first)).toEqual(['prod/gold:create failed']);
      expect(first.report?.results[0]?.message).toMatch(
        /^operation \S+ is unknown to the service and no audience of that name is listed yet; the record is kept until /,
      );
      const answered = (await env.store().get('prod', 'gold'))!;
      const began = answered.pendingCreate?.earliestAepMs;
      expect([answered.intent, answered.operationId === undefined, began === undefined]).toEqual([
        undefined,
        false,
        false,
      ]);
      // Another store's create of the same name, with the same credentials, a minute before this
      // one began: within the 2 minutes the POST's answer's time (this machine's clock) allows.
      // (Then, in AEP's clock, this create's failed operation held the name.)
      const theirs = madeAt(env, began! - 60_000, { duplicateName: true }).id;
      unknownOperation();
      const next = await env.apply([quiet('gold')]);
      expect(statuses(next)).toEqual(['prod/gold:create failed']);
      // Saying what is listed under the name, and why it is not this create's: never "no
      // audience of that name is listed".
      expect(next.report?.results[0]?.message).toMatch(
        new RegExp(
          `^operation \\S+ is unknown to the service, and no audience listed under its name is its own \\(it was created (59|60|61) s before this create began \\(in AEP's clock\\), so no POST of this create made it: most likely another state store's create .*; found: ${theirs} \\(created \\S+ by ${OWN_ACCOUNT}\\)\\); the record is kept until \\S+ and the next apply looks again$`,
        ),
      );
      const gold = await env.store().get('prod', 'gold');
      expect([gold?.audienceId, gold?.operationId]).toEqual([undefined, answered.operationId]);
      expect(
        env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((audience) => audience.audienceId),
      ).toEqual([theirs]);
    });
  });

  it("no audience of its name another store created 2 s before the create began (AEP's clock): blocked, not adopted", async () => {
    await withExecutor(undefined, async (env) => {
      const pending = await createNeverSent(env);
      // Within the 3 s (rounded, and the Date header's whole seconds on top) the code before
      // adopted; the bound the intent records leaves only the creation time's second and
      // AEP_CLOCKS_SPREAD_MS.
      const theirs = madeAt(env, beganInAep(pending) - 2_000).id;
      const outcome = await env.apply([quiet('gold')]);
      expect(statuses(outcome)).toEqual(['prod/gold:create blocked']);
      expect(outcome.report?.results[0]?.message).toMatch(
        new RegExp(
          `^an audience named "Audience gold" already exists in sandbox "prod": it was created [12] s before this create began \\(in AEP's clock\\), so no POST of this create made it: .*--audience-id ${theirs}`,
        ),
      );
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBeUndefined();
      expect(env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
    });
  });

  it("with AEP's clock unknown (no Date header reaches it), an audience made a minute before the create began is still adopted, saying so and how to undo it", async () => {
    await withExecutor(undefined, async (env) => {
      // Made by audiencectl's account, as its own create would be (a person's never is).
      const made = env.emulator.control.uiCreateAudience(
        DEMO_CLIENT.orgId,
        'prod',
        quiet('gold').spec,
        OWN_ACCOUNT,
      );
      await interruptedCreate(env, { startedAt: new Date(Date.now() + 60_000) });
      // Answers with no Date header: the client measures no offset to AEP's clock.
      const proxy = await startAlteringProxy(env.emulator.url, { noDate: true });
      try {
        const outcome = await executorEnv(env.emulator, env.stateDir, proxy.url).apply([quiet('gold')]);
        expect(statuses(outcome)).toEqual(['prod/gold:create applied']);
        const message = outcome.report?.results[0]?.message ?? '';
        expect(message).toMatch(
          new RegExp(
            `^adopted ${made.id}, taken for the audience an interrupted create made, though created (59|60|61) s before`,
          ),
        );
        expect(message).toContain('audiencectl state forget gold --sandbox prod');
      } finally {
        await proxy.close();
      }
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(made.id);
    });
  });

  it('no audience another store created just before, after its own first POST was refused (409) and the apply stopped during the name lookup', async () => {
    await withExecutor(undefined, async (env) => {
      await withOtherStore(env, async (other) => {
        await other.apply([quiet('gold')]);
        const theirs = (await other.store().get('prod', 'gold'))!.audienceId!;
        // This store's create: its POST is refused (409), then the apply is stopped as the name
        // lookup that follows reaches the service (through a proxy that sees it arrive).
        const proxy = await startAlteringProxy(env.emulator.url);
        const stop = new AbortController();
        try {
          let posted = false;
          proxy.rewrite((url) => {
            if (url.includes('/external-audience/')) posted = true;
            else if (posted && url.includes('property=name')) stop.abort();
            return url;
          });
          const first = await executorEnv(env.emulator, env.stateDir, proxy.url).apply([quiet('gold')], {
            signal: stop.signal,
          });
          expect(stop.signal.aborted).toBe(true);
          // Sent and refused: not "skipped", which says it was never attempted.
          expect(statuses(first)).toEqual(['prod/gold:create failed']);
          expect(first.report?.results[0]?.message).toContain('409');
        } finally {
          await proxy.close();
        }
        expect(env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
        // Its POST made nothing: the next apply sends a first POST, and blocks on the 409.
        const next = await env.apply([quiet('gold')]);
        expect(statuses(next)).toEqual(['prod/gold:create blocked']);
        expect(next.report?.results[0]?.message).toContain(theirs);
        expect((await env.store().get('prod', 'gold'))?.audienceId).toBeUndefined();
        expect((await other.store().get('prod', 'gold'))?.audienceId).toBe(theirs);
      });
    });
  });

  it('no audience of its name another record holds', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('silver')]);
      const silverId = (await env.store().get('prod', 'silver'))!.audienceId!;
      // Renamed in the UI to gold's name: the service now refuses gold's create as a duplicate.
      env.emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', silverId, { name: 'Audience gold' });
      // Past the wait for its POST to show: sent again (create-hold.ts), and refused (409).
      await interruptedCreate(env, { startedAt: new Date(Date.now() - 18 * 60_000) });
      const outcome = await env.apply([quiet('silver'), quiet('gold')]);
      expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create blocked',
      ]);
      const state = (await env.store().readAll()).audiences;
      expect(state.map((r) => [r.key, r.audienceId])).toEqual([
        ['gold', undefined],
        ['silver', silverId],
      ]);
      expect(env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
      // Why, as checked: never "audiencectl did not create it" of silver's own audience.
      expect(outcome.report?.results[0]?.message).toMatch(
        new RegExp(
          `^an audience named "Audience gold" already exists in sandbox "prod": another record of this state store holds it \\(found: ${silverId} \\(created `,
        ),
      );
    });
  });

  // Made by audiencectl's own account (silver's create shows it) longer before this create
  // began than the skew allows: the message said "audiencectl did not create it (an audience
  // made outside audiencectl)", beside "created … by" that very account (review 23, L1).
  it('no audience of its name audiencectl\'s own account made 3 minutes before the create began (AEP\'s clock), where the service does not know the operation its POST was answered with: says so, not "made outside audiencectl"', async () => {
    await withExecutor({ operationDelayMs: 0 }, async (env) => {
      // silver's create: the records show the account audiencectl creates with.
      await env.apply([quiet('silver')]);
      const unknownOperation = failedOperationUnknown(env.emulator);
      const first = await env.apply([quiet('silver'), quiet('gold')]);
      expect(statuses(first)).toEqual(['prod/gold:create failed']);
      const answered = (await env.store().get('prod', 'gold'))!;
      const began = answered.pendingCreate?.earliestAepMs;
      expect(began).toEqual(expect.any(Number));
      const theirs = madeAt(env, began! - 180_000, { duplicateName: true }).id;
      unknownOperation();
      const next = await env.apply([quiet('silver'), quiet('gold')]);
      expect(statuses(next)).toEqual(['prod/gold:create failed']);
      const message = next.report?.results[0]?.message ?? '';
      expect(message).not.toContain('audiencectl did not create it');
      expect(message).toMatch(
        new RegExp(
          `^operation \\S+ is unknown to the service, and no audience listed under its name is its own \\(it was made by audiencectl's account before this create began \\(another state store's create with the same credentials, or an earlier create's\\): created (179|180|181) s before this create began \\(in AEP's clock\\), so no POST of this create made it; found: ${theirs} \\(created \\S+ by ${OWN_ACCOUNT}\\)\\); the record is kept until \\S+ and the next apply looks again$`,
        ),
      );
    });
  });

  it('an audience of its name audiencectl\'s own account made after the create began, its first POST refused (409): blocked, saying so, not "made outside audiencectl"', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('silver')]);
      // Another store's create of gold, by audiencectl's account, made as this create's POST
      // is on its way to the service (seen by a proxy): after this create began, as a create
      // racing it would be.
      let theirs = '';
      const message = await goldBlockedThrough(env, (proxy) =>
        proxy.rewrite((url) => {
          if (theirs === '' && /\/external-audience\/?$/.test(url)) {
            theirs = env.emulator.control.uiCreateAudience(
              DEMO_CLIENT.orgId,
              'prod',
              quiet('gold').spec,
              OWN_ACCOUNT,
            ).id;
          }
          return url;
        }),
      );
      expect(message).toMatch(
        new RegExp(
          `^an audience named "Audience gold" already exists in sandbox "prod": it was made by audiencectl's account, but not by this create, whose first POST the service refused \\(409\\): another state store's create with the same credentials, or an earlier create's \\(found: ${theirs} \\(created \\S+ by ${OWN_ACCOUNT}\\)\\); `,
        ),
      );
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBeUndefined();
    });
  });

  // The service shows no creator for the audience listed under the name: the message said
  // "audiencectl did not create it (an audience made outside audiencectl)", which nothing the
  // service answered supports. What is known: not this create's (its first POST was refused), and
  // not who made it. Still blocked, with the import as the way out.
  it('an audience of its name the service shows no creator of, this create\'s first POST refused (409): blocked, saying what is known, not "made outside audiencectl"', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('silver')]);
      const theirs = env.emulator.control.uiCreateAudience(
        DEMO_CLIENT.orgId,
        'prod',
        quiet('gold').spec,
        'colleague@AdobeID',
      ).id;
      // The Audiences API's list, as a service that leaves createdBy out would answer it.
      const message = await goldBlockedThrough(env, (proxy) =>
        proxy.alter((answer) => {
          if (answer.method !== 'GET' || !answer.path.endsWith('/audiences')) return undefined;
          const page = answer.body as { children: Record<string, unknown>[] };
          return { ...page, children: page.children.map(({ createdBy: _, ...audience }) => audience) };
        }),
      );
      expect(message).not.toContain('outside audiencectl');
      expect(message).toMatch(
        new RegExp(
          `^an audience named "Audience gold" already exists in sandbox "prod": it was not made by this create, whose first POST the service refused \\(409\\): the name was taken before it; the service does not show who made it \\(found: ${theirs} \\(created \\S+ by unknown\\)\\); if it is this manifest's audience, run: audiencectl state import gold `,
        ),
      );
      const record = await env.store().get('prod', 'gold');
      expect(record?.audienceId).toBeUndefined();
      expect(record?.blocked?.found).toEqual([theirs]);
    });
  });

  it("no audience of its name audiencectl's own account made 3 minutes before the create began (AEP's clock): blocked, saying so", async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('silver')]);
      // This store's create of gold: its intent written, its POST never reached the service.
      env.emulator.control.queueFault({ kind: 'drop', endpoint: 'createAudience', count: 1 });
      const first = await env.apply([quiet('silver'), quiet('gold')]);
      expect(statuses(first)).toEqual(['prod/gold:create blocked']);
      const pending = (await env.store().get('prod', 'gold'))!;
      expect(pending.intent?.kind).toBe('create');
      afterRepeatWait(env);
      const theirs = madeAt(env, beganInAep(pending) - 180_000).id;
      const outcome = await env.apply([quiet('silver'), quiet('gold')]);
      expect(statuses(outcome)).toEqual(['prod/gold:create blocked']);
      expect(outcome.report?.results[0]?.message).toMatch(
        new RegExp(
          `^an audience named "Audience gold" already exists in sandbox "prod": it was made by audiencectl's account before this create began \\(another state store's create with the same credentials, or an earlier create's\\): created (179|180|181) s before this create began \\(in AEP's clock\\), so no POST of this create made it \\(found: ${theirs} \\(created \\S+ by ${OWN_ACCOUNT}\\)\\); `,
        ),
      );
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBeUndefined();
    });
  });
});

// The other side: the audience an interrupted create's own POST made is always adopted, however
// AEP's and the machines' clocks stand (never blocked, never created twice).

describe("an interrupted create's own audience is adopted", () => {
  it('made by a POST whose answer was lost, AEP stamping its creation time 0.4 s behind the clock its Date headers showed (whole seconds, truncated)', async () => {
    // The audience is listed as soon as its POST makes it: the retry's 409 finds it.
    await withExecutor({ operationDelayMs: 0 }, async (env) => {
      const proxy = await startAlteringProxy(env.emulator.url);
      let moved = false;
      // Once the clock is read before the create (its Date header), AEP's creation times fall 0.4 s behind it.
      proxy.alter((answer) => {
        if (!moved && answer.method === 'GET' && answer.path.endsWith('/audiences')) {
          moved = true;
          env.emulator.control.updateSettings({ clockOffsetMs: -400 });
        }
        return undefined;
      });
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      try {
        const outcome = await executorEnv(env.emulator, env.stateDir, proxy.url).apply([quiet('gold')]);
        expect(moved).toBe(true);
        const [made, ...others] = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
        expect(others).toEqual([]);
        expect(statuses(outcome)).toEqual(['prod/gold:create applied']);
        expect(outcome.report?.results[0]?.message).toBe(
          `adopted ${made!.audienceId}, the audience an interrupted create made`,
        );
        expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(made!.audienceId);
      } finally {
        await proxy.close();
      }
    });
  });

  it("begun with AEP's clock unread, and resumed where the clock is 10 s behind the one that began it: adopted, saying so, not blocked", async () => {
    // The audience is listed as soon as its POST makes it.
    await withExecutor({ operationDelayMs: 0 }, async (env) => {
      // No Date header reaches the first apply: its intent records no measurement of AEP's clock.
      const proxy = await startAlteringProxy(env.emulator.url, { noDate: true });
      // Its POST makes the audience, its answer lost.
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      // Not listed when it is looked for: the create is held (steps/create-hold.ts).
      const held = holdCreates(env);
      // The create began, and its POST made the audience, within this apply: how many seconds
      // apart depends on how loaded the machine is, so the words' figure is bounded by it below.
      const firstBegan = Date.now();
      let firstMs = 0;
      try {
        const first = await executorEnv(env.emulator, env.stateDir, proxy.url).apply([quiet('gold')]);
        firstMs = Date.now() - firstBegan;
        expect(statuses(first)).toEqual(['prod/gold:create blocked']);
      } finally {
        held.release();
        await proxy.close();
      }
      const pending = await env.store().get('prod', 'gold');
      expect([pending?.intent?.kind, pending?.pendingCreate?.clockOffset]).toEqual(['create', undefined]);
      const [made, ...others] = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(others).toEqual([]);
      // The next apply's machine (or this one, set right since) is 10 s behind the one that began
      // the create: AEP's clock, as its answers show it, is 10 s ahead of it.
      env.emulator.control.updateSettings({ clockOffsetMs: 10_000 });
      const outcome = await env.apply([quiet('gold')]);
      expect(statuses(outcome)).toEqual(['prod/gold:create applied']);
      const said = outcome.report?.results[0]?.message.match(
        new RegExp(
          `^adopted ${made!.audienceId}, taken for the audience an interrupted create made, though created (\\d+) s before that create began by the clock of the machine that began it \\(AEP's clock was not read then`,
        ),
      );
      expect(said, outcome.report?.results[0]?.message).not.toBeNull();
      // 10 s less the time from the create's start to its audience's creation (at most the first
      // apply's length), less up to a second for a creation time in whole seconds, rounded.
      expect(Number(said![1])).toBeLessThanOrEqual(10);
      expect(Number(said![1])).toBeGreaterThanOrEqual(Math.floor(9 - firstMs / 1000));
      expect(env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(made!.audienceId);
    });
  });
});

// The Audiences API lists an audience only once its create operation has succeeded, while the
// service refuses a second create of its name (409) from the first POST on. A 409 for our own
// create (its intent open) with nothing listed under the name is "not listed yet", never "made
// outside audiencectl".

const gold = manifestObject('gold', { ingestion: { onCreate: false } });

/** Lets the create operation the emulator holds (setDelays) finish; returns its audience's id. */
function finishHeld(env: ExecutorEnv): string {
  const operations = () => env.emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod');
  expect(operations().map((operation) => operation.status)).toEqual(['PROCESSING']);
  env.emulator.control.finishOperation(DEMO_CLIENT.orgId, 'prod', operations()[0]!.operationId);
  const [finished] = operations();
  expect(finished?.status).toBe('SUCCESS');
  return finished!.audienceId!;
}

describe('a 409 for our own create while its audience is not listed yet', () => {
  it('a lost create answer, its operation still PROCESSING: the intent is kept, and the next apply adopts the audience', async () => {
    await withExecutor(undefined, async (env) => {
      // The operation is held until the test lets it go (an hour, past the clock moved on below):
      // the repeat's 409 finds nothing listed.
      env.emulator.control.setDelays({ operationDelayMs: 60 * 60_000 });
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      // Held, not sent again, while the lost POST may land unlisted (create-hold.ts).
      expect(statuses(await env.apply([gold]))).toEqual(['prod/gold:create blocked']);
      afterRepeatWait(env);
      const first = await env.apply([gold]);
      expect(statuses(first)).toEqual(['prod/gold:create failed']);
      expect(first.report?.results[0]?.message).toMatch(
        /\(409\).* and no audience of that name is listed yet; its intent is kept until .* and the next apply looks again$/,
      );
      const posts = env.emulator.control.requestLog().filter((entry) => entry.endpoint === 'createAudience');
      expect(posts.map((entry) => entry.status)).toEqual([0, 409]);
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent?.kind).toBe('create');
      expect(record?.pendingCreate?.body.name).toBe('Audience gold');
      expect(record?.blocked).toBeUndefined();

      const held = finishHeld(env);
      const second = await env.apply([gold]);
      expect(statuses(second)).toEqual(['prod/gold:create applied']);
      expect(second.report?.results[0]?.message).toMatch(/^adopted /);
      const made = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(made.map((audience) => [audience.audienceId, audience.createdBy])).toEqual([
        [held, `${DEMO_CLIENT.clientId}@techacct.adobe.com`],
      ]);
      const adopted = await env.store().get('prod', 'gold');
      expect(adopted?.audienceId).toBe(made[0]?.audienceId);
      expect(adopted?.intent).toBeUndefined();
      expect(adopted?.blocked).toBeUndefined();
    });
  });

  it('15 minutes after the create began, still nothing listed: the name is held, so the intent and the former runs are kept, and the audience is adopted once listed', async () => {
    await withExecutor(undefined, async (env) => {
      // gold's record, re-created after its audience was deleted outside audiencectl: the
      // former audience's run still counts against the daily budget.
      const former = formerRun();
      // Begun 18 minutes ago: past the wait for its POST to show (and the margin for another
      // machine's clock), so it is sent again (create-hold.ts).
      await interruptedCreate(env, { startedAt: new Date(Date.now() - 18 * 60_000), runs: [former] });
      // The name is held by the interrupted create's POST, its operation not finished yet.
      env.emulator.control.setDelays({ operationDelayMs: 10 * 60_000 });
      const held = await env.emulator.request('POST', '/external-audience/', { body: gold.spec });
      expect(held.status).toBe(202);

      const first = await env.apply([gold]);
      expect(statuses(first)).toEqual(['prod/gold:create failed']);
      const message = first.report?.results[0]?.message ?? '';
      expect(message).toMatch(
        /\(409\).* and no audience of that name is listed 15 minutes after this create began: the name is held by an audience not listed \(this create's, its operation unfinished, or another's\); its intent is kept, and the next apply POSTs again and adopts the audience once it is listed\. If it stays unlisted, find its id in AEP, then run: audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID \(MANIFESTS_DIR: your manifests directory\)$/,
      );
      expect(message).not.toContain('creates it again');
      const kept = await env.store().get('prod', 'gold');
      expect(kept?.intent?.id).toBe('intent-1');
      expect(kept?.runs).toEqual([former]);
      expect(kept?.blocked).toBeUndefined();

      const audienceId = finishHeld(env);
      const second = await env.apply([gold]);
      expect(statuses(second)).toEqual(['prod/gold:create applied']);
      expect(second.report?.results[0]?.message).toBe(
        `adopted ${audienceId}, the audience an interrupted create made`,
      );
      const adopted = await env.store().get('prod', 'gold');
      expect(adopted?.audienceId).toBe(audienceId);
      expect(adopted?.intent).toBeUndefined();
      expect(adopted?.runs).toEqual([former]);
      expect(env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
    });
  });
});

// A service may leave inactive audiences out of a name lookup (the emulator's
// `listInactive: audienceId` reading): our own interrupted create, deactivated in the UI
// since, is then found only in the list of inactive audiences. A failure to read that list
// says nothing: never "no audience of that name".

const hidesInactive = { compat: { listInactive: 'audienceId' as const } };

/** The audience gold's interrupted create made, deactivated in the UI since. */
async function madeAndDeactivated(env: ExecutorEnv): Promise<string> {
  const made = await env.emulator.createAudience(gold.spec);
  env.emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', made, { lifecycleState: 'inactive' });
  return made;
}

describe('our own interrupted create, deactivated since, under a service that hides inactive audiences from name lookups', () => {
  it('its 409 finds it among the inactive audiences and adopts it', async () => {
    await withExecutor(hidesInactive, async (env) => {
      await interruptedCreate(env);
      const made = await madeAndDeactivated(env);
      const outcome = await env.apply([gold]);
      expect(statuses(outcome)).toEqual(['prod/gold:create applied']);
      expect(outcome.report?.results[0]?.message).toBe(
        `adopted ${made}, the audience an interrupted create made`,
      );
      const record = await env.store().get('prod', 'gold');
      expect(record?.audienceId).toBe(made);
      expect(record?.intent).toBeUndefined();
    });
  });

  it('the inactive audiences cannot be listed (400): the step fails, its intent kept, nothing blocked', async () => {
    await withExecutor(hidesInactive, async (env) => {
      // Past the wait for its POST to show: sent again (create-hold.ts), and refused (409).
      await interruptedCreate(env, { startedAt: new Date(Date.now() - 18 * 60_000) });
      await madeAndDeactivated(env);
      // The name lookup answers (without it); the inactive list is refused: in the lookup before
      // the create is POSTed again (steps/create-repeat.ts), then in its 409's.
      for (let lookup = 0; lookup < 2; lookup += 1)
        env.emulator.control.queueFault({
          kind: 'clientError',
          endpoint: 'listAudiences',
          status: 400,
          after: 1,
        });
      const outcome = await env.apply([gold]);
      expect(statuses(outcome)).toEqual(['prod/gold:create failed']);
      expect(outcome.report?.results[0]?.message).toMatch(/inactive audiences .*cannot be listed/);
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent?.kind).toBe('create');
      expect(record?.blocked).toBeUndefined();
      expect(record?.audienceId).toBeUndefined();
    });
  });

  it('an operation unknown to the service, after the 15 minutes: adopted, not dropped', async () => {
    await withExecutor(hidesInactive, async (env) => {
      await lostOperation(env.store(), new Date(Date.now() - 16 * 60_000));
      const made = await madeAndDeactivated(env);
      const outcome = await env.apply([gold]);
      expect(statuses(outcome)).toEqual(['prod/gold:create applied']);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(made);
    });
  });
});
