import type { Logger } from '../log.js';
import { sourceParams, type AudienceSpec } from '../manifest/schema.js';
import { AepError, aepErrorInit } from './errors.js';
import { SERVICE_SAID } from './http-error.js';
import { withLearned } from './compat-choices.js';
import type {
  AudienceIds,
  AudiencesTotalCount,
  CompatChoices,
  DeleteSpelling,
  LearnedChoice,
  OperationsSpelling,
  PatchRefusals,
  SourceSpecShape,
} from './compat-schema.js';

/**
 * Where the reference page allows two readings (../shared/design/ARCHITECTURE.md, "Page
 * inconsistencies the client must survive"), the alternatives live here: tried in a fixed
 * order, the one that worked remembered per base URL (and per sandbox for `sourceSpec`),
 * the switch logged once at info level. The rest of the code never knows there were two.
 */

export type { CompatChoices, DeleteSpelling, LearnedChoice, OperationsSpelling, SourceSpecShape };
/** `api.sourceSpecShape`: `auto` sends `params` and falls back to flat once on a 400 naming sourceSpec. */
export type SourceSpecSetting = 'auto' | SourceSpecShape;
/** `api.operationsPath`: `auto` tries one spelling and, on a 404, the other. */
export type OperationsPathSetting = 'auto' | OperationsSpelling;
/** `api.deletePath`: `auto` tries one spelling of the DELETE path and, on the service's 404, the other. */
export type DeletePathSetting = 'auto' | DeleteSpelling;

export type CompatOptions = {
  /** What an earlier process learned about this base URL (the state store's copy). */
  remembered?: CompatChoices | undefined;
  /** Default `auto`. */
  sourceSpecShape?: SourceSpecSetting | undefined;
  /** Default `auto`. */
  operationsPath?: OperationsPathSetting | undefined;
  /** Default `auto`. */
  deletePath?: DeletePathSetting | undefined;
  /** Called with each choice learned or relearned, to keep it in the state store. */
  onLearn?: ((learned: LearnedChoice) => void) | undefined;
};

const OPERATIONS_PATHS: Record<OperationsSpelling, string> = {
  // The page's "API format" line and prose.
  plural: 'external-audiences/operations',
  // The page's curl sample.
  singular: 'external-audience/operations',
};

function other<T extends string>(pair: readonly [T, T], value: T): T {
  return value === pair[0] ? pair[1] : pair[0];
}

/**
 * A remembered choice is tried first, never trusted blindly: when it fails the way the other
 * reading would explain (a 404 on the path, a 400 naming sourceSpec), the other one is tried
 * in the same call, and if that one answers it replaces the remembered one. A call that fails
 * at both readings, or fails otherwise (5xx, timeout), teaches nothing.
 */
export class Compat {
  #choices: CompatChoices;
  /** This process saw the service answer `start` as not paging by it (runsListStart). */
  #startIgnoredSeen = false;
  readonly #sourceSetting: SourceSpecSetting;
  readonly #pathSetting: OperationsPathSetting;
  readonly #deleteSetting: DeletePathSetting;
  readonly #onLearn: CompatOptions['onLearn'];
  readonly #logger: Logger | undefined;

  constructor(options: CompatOptions = {}, logger?: Logger) {
    this.#choices = structuredClone(options.remembered ?? {});
    this.#sourceSetting = options.sourceSpecShape ?? 'auto';
    this.#pathSetting = options.operationsPath ?? 'auto';
    this.#deleteSetting = options.deletePath ?? 'auto';
    this.#onLearn = options.onLearn;
    this.#logger = logger;
  }

  choices(): CompatChoices {
    return structuredClone(this.#choices);
  }

  /** Spellings of the operations path to try in order: the known one (else plural) first. */
  operationPaths(): { spelling: OperationsSpelling; path: string }[] {
    if (this.#pathSetting !== 'auto')
      return [{ spelling: this.#pathSetting, path: OPERATIONS_PATHS[this.#pathSetting] }];
    const first = this.#choices.operationsPath ?? 'plural';
    return [first, other(['plural', 'singular'], first)].map((spelling) => ({
      spelling,
      path: OPERATIONS_PATHS[spelling],
    }));
  }

  operationsPathWorked(spelling: OperationsSpelling): void {
    if (this.#pathSetting !== 'auto' || this.#choices.operationsPath === spelling) return;
    const first = this.#choices.operationsPath === undefined && spelling === 'plural';
    this.#learned(first ? undefined : `operations path /${OPERATIONS_PATHS[spelling]}/{id}`, {
      choice: 'operationsPath',
      value: spelling,
    });
  }

  /**
   * Spellings of an audience's DELETE path to try in order: the known one (else bare, as the
   * API format line writes it) first, then the curl sample's, with a trailing slash. A service
   * that serves one of them answers 404 at the other: never read as "already deleted". A
   * fixed spelling (`api.deletePath`) is the only one.
   */
  deletePaths(audienceId: string): { spelling: DeleteSpelling; path: string }[] {
    const first = this.#choices.deletePath ?? 'bare';
    const spellings =
      this.#deleteSetting === 'auto' ? [first, other(['bare', 'slash'], first)] : [this.#deleteSetting];
    return spellings.map((spelling) => ({
      spelling,
      path: `external-audience/${audienceId}${spelling === 'slash' ? '/' : ''}`,
    }));
  }

  deletePathWorked(spelling: DeleteSpelling): void {
    if (this.#deleteSetting !== 'auto' || this.#choices.deletePath === spelling) return;
    const first = this.#choices.deletePath === undefined && spelling === 'bare';
    this.#learned(
      first ? undefined : `DELETE path ${spelling === 'slash' ? 'with' : 'without'} a trailing slash`,
      {
        choice: 'deletePath',
        value: spelling,
      },
    );
  }

  /** The shapes of `sourceSpec` to send, in order: the known one (else params) first. */
  sourceShapes(sandbox: string): SourceSpecShape[] {
    if (this.#sourceSetting !== 'auto') return [this.#sourceSetting];
    const first = this.#choices.sourceSpec?.[sandbox] ?? 'params';
    return [first, other(['params', 'flat'], first)];
  }

  sourceShapeWorked(sandbox: string, shape: SourceSpecShape): void {
    if (this.#sourceSetting !== 'auto' || this.#choices.sourceSpec?.[sandbox] === shape) return;
    const first = this.#choices.sourceSpec?.[sandbox] === undefined && shape === 'params';
    this.#learned(first ? undefined : `sourceSpec sent ${shape === 'flat' ? 'flat' : 'under params'}`, {
      choice: 'sourceSpec',
      sandbox,
      value: shape,
    });
  }

  /** Whether to send the runs list's commented-out parameters first: only once the service took them. */
  runsListParams(): boolean {
    return this.#choices.runsListParams === 'accepted';
  }

  /** Called when a runs list with limit/sortBy answered. */
  runsListParamsAccepted(): void {
    if (this.#choices.runsListParams === 'accepted') return;
    const before = this.#choices.runsListParams;
    this.#learned(before === 'refused' ? 'runs listed with limit/sortBy' : undefined, {
      choice: 'runsListParams',
      value: 'accepted',
    });
  }

  /**
   * Called once the bare list answered after a 400 naming limit/sortBy. Only a reading for the
   * first try: a cut bare list is still asked for newest first (listRuns in client.ts).
   */
  runsListParamsRefused(): void {
    if (this.#choices.runsListParams === 'refused') return;
    this.#learned('runs listed without limit/sortBy', { choice: 'runsListParams', value: 'refused' });
  }

  /**
   * Whether to ask a bare runs list that may be cut for the page after it by `start`: unless this
   * process saw the service ignore it (runs-from-start.ts). An `ignored` remembered from another
   * process is asked once more: the service may have changed its mind, and read so for good, a
   * service that pages by `start` blocked the run step of every audience past a page of runs
   * until someone emptied compat.json (review service-43, M-1). One probe per process, as before
   * one per base URL, not one per list.
   */
  runsListStart(): boolean {
    return this.#choices.runsListStart !== 'ignored' || !this.#startIgnoredSeen;
  }

  /** Called when a bare runs list answered `start` with the page from there (or an empty one). */
  runsListStartPaged(): void {
    if (this.#choices.runsListStart === 'paged') return;
    const before = this.#choices.runsListStart;
    this.#learned(before === 'ignored' ? 'runs list paged by start' : undefined, {
      choice: 'runsListStart',
      value: 'paged',
    });
  }

  /** Called when a bare runs list answered `start` with its first runs again, or a 400 naming it. */
  runsListStartIgnored(): void {
    this.#startIgnoredSeen = true;
    if (this.#choices.runsListStart === 'ignored') return;
    this.#learned('runs list not paged by start', { choice: 'runsListStart', value: 'ignored' });
  }

  /**
   * What an Audiences API list's `totalCount` is known to count (audience-reads.ts): undefined
   * until a list read to its end fell short of it and was probed.
   */
  audiencesTotalCount(): AudiencesTotalCount | undefined {
    return this.#choices.audiencesTotalCount;
  }

  audiencesTotalCountLearned(value: AudiencesTotalCount): void {
    if (this.#choices.audiencesTotalCount === value) return;
    const switched = value === 'other' ? 'audience lists counted past what they hold' : undefined;
    this.#learned(switched, { choice: 'audiencesTotalCount', value });
  }

  /**
   * Whether a refused PATCH that names no rule is worth telling apart by a PATCH without its
   * fields (fields-refusal.ts): once the service has answered a refusal so (`unnamed`). One that
   * has named its rules (`named`) would have named a field it refused.
   */
  patchRefusalsUnnamed(): boolean {
    return this.#choices.patchRefusals === 'unnamed';
  }

  patchRefusalsLearned(value: PatchRefusals): void {
    if (this.#choices.patchRefusals === value) return;
    const switched = value === 'unnamed' ? 'refused PATCHes name no rule' : undefined;
    this.#learned(switched, { choice: 'patchRefusals', value });
  }

  /**
   * Which id of a listed external audience /core/ais knows it by (audience-ids.ts): undefined
   * until one whose two ids differ was probed.
   */
  audienceIds(): AudienceIds | undefined {
    return this.#choices.audienceIds;
  }

  audienceIdsLearned(value: AudienceIds): void {
    if (this.#choices.audienceIds === value) return;
    const switched =
      value === 'distinct' ? 'listed audiences are known to /core/ais by their audienceId field' : undefined;
    this.#learned(switched, { choice: 'audienceIds', value });
  }

  #learned(switched: string | undefined, learned: LearnedChoice): void {
    this.#choices = withLearned(this.#choices, learned);
    if (switched) this.#logger?.info({ ...learned }, `AEP takes the other reading of the page: ${switched}`);
    this.#onLearn?.(learned);
  }
}

/** The create body with `sourceSpec` in `shape`; everything else as the manifest wrote it. */
export function withSourceShape(body: AudienceSpec, shape: SourceSpecShape): AudienceSpec {
  const { params } = sourceParams(body.sourceSpec);
  return { ...body, sourceSpec: shape === 'params' ? { params } : params };
}

/**
 * A 400 that names `sourceSpec` as a whole or outside the shape `sent`: the service may read
 * the other shape. One that names only what lies under `sourceSpec.params` when it was sent
 * there (`sourceSpec.params.path: must not contain spaces`) read that shape and refused its
 * content: the other shape would only be refused for lacking `params`, hiding why.
 */
export function refusesSourceShape(error: AepError, sent: SourceSpecShape, body: object): boolean {
  if (error.status !== 400) return false;
  const texts = [error.message, ...error.details.flatMap((item) => [item.path, item.message])];
  // A name as the texts write it, without the full stop that may end a sentence after it.
  const named = texts.flatMap((text) =>
    (text?.match(/sourceSpec[\w.[\]]*/g) ?? []).map((n) => n.replace(/\.+$/, '')),
  );
  if (named.length === 0) return namesNothingSent(error, body);
  if (sent === 'params' && named.every((name) => name.startsWith('sourceSpec.params.'))) return false;
  return true;
}

/**
 * A 400 that names nothing of the body sent: no broken rule listed, and no property of the body
 * (nor `params`) in the service's text, as the appendix's only text for 100910-400 ("A bad
 * request has occurred, due to a failure occurring while validating the requests"). It may be
 * the other shape's refusal: read as none, a service taking only the other shape refused every
 * create for good (review emulator-41, 2). A 400 creates nothing, so the other shape is tried
 * once; one that names a property (`description must be at most 1000 characters`) is not.
 */
function namesNothingSent(error: AepError, body: object): boolean {
  if (error.details.length > 0) return false;
  const said = error.message.split(SERVICE_SAID).slice(1).join(SERVICE_SAID);
  return ![...Object.keys(body), 'params'].some((key) => new RegExp(`\\b${key}\\b`).test(said));
}

/**
 * A create refused at both shapes of `sourceSpec`: the other shape's 400 (`second`, sent
 * `secondShape`) teaches nothing of the shape, so the error is the first refusal's (the shape
 * sent in the known or default reading), its message followed by the second's.
 */
export function refusedAtBothShapes(
  first: AepError,
  second: AepError,
  secondShape: SourceSpecShape,
): AepError {
  const shape = secondShape === 'flat' ? 'flat' : 'under params';
  return new AepError({
    ...aepErrorInit(first),
    message: `${first.message} Sent again with sourceSpec ${shape} (the page's other reading), it was refused too: ${second.message}`,
  });
}

/**
 * A 400 that names `start`: the service refuses to page the bare runs list by it. One that names
 * nothing (a gateway's `Bad Request`) says nothing of the parameter (runs-from-start.ts).
 */
export function refusesRunsListStart(error: AepError): boolean {
  if (error.status !== 400) return false;
  const mentions = (text: string | undefined) => text !== undefined && /\bstart\b/.test(text);
  return (
    mentions(error.message) || error.details.some((item) => mentions(item.path) || mentions(item.message))
  );
}

/** A 400 that names `limit` or `sortBy`: the service reads the runs list without them. */
export function refusesRunsListParams(error: AepError): boolean {
  if (error.status !== 400) return false;
  const mentions = (text: string | undefined) => text !== undefined && /\b(limit|sortBy)\b/.test(text);
  return (
    mentions(error.message) || error.details.some((item) => mentions(item.path) || mentions(item.message))
  );
}
