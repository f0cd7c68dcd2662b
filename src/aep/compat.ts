import type { Logger } from '../log.js';
import { sourceParams, type AudienceSpec } from '../manifest/schema.js';
import type { AepError } from './errors.js';

/**
 * Where the reference page allows two readings (../shared/design/ARCHITECTURE.md, "Page
 * inconsistencies the client must survive"), the alternatives live here: tried in a fixed
 * order, the one that worked remembered per base URL (and per sandbox for `sourceSpec`),
 * the switch logged once at info level. The rest of the code never knows there were two.
 */

export type OperationsSpelling = 'plural' | 'singular';
export type SourceSpecShape = 'params' | 'flat';
/** `api.sourceSpecShape`: `auto` sends `params` and falls back to flat once on a 400 naming sourceSpec. */
export type SourceSpecSetting = 'auto' | SourceSpecShape;

/** What was learned about one base URL; kept in the state so the next process starts from it. */
export type CompatChoices = {
  operationsPath?: OperationsSpelling | undefined;
  /** By sandbox. */
  sourceSpec?: Record<string, SourceSpecShape> | undefined;
  runsListParams?: 'accepted' | 'refused' | undefined;
};

export type CompatOptions = {
  /** What an earlier process learned about this base URL. */
  remembered?: CompatChoices | undefined;
  /** Default `auto`. */
  sourceSpecShape?: SourceSpecSetting | undefined;
  /** Called with everything known after each new choice (to keep it in the state). */
  onLearn?: ((choices: CompatChoices) => void) | undefined;
};

const OPERATIONS_PATHS: Record<OperationsSpelling, string> = {
  // The page's "API format" line and prose.
  plural: 'external-audiences/operations',
  // The page's curl sample.
  singular: 'external-audience/operations',
};

export class Compat {
  readonly #choices: CompatChoices;
  readonly #setting: SourceSpecSetting;
  readonly #onLearn: CompatOptions['onLearn'];
  readonly #logger: Logger | undefined;

  constructor(options: CompatOptions = {}, logger?: Logger) {
    this.#choices = structuredClone(options.remembered ?? {});
    this.#setting = options.sourceSpecShape ?? 'auto';
    this.#onLearn = options.onLearn;
    this.#logger = logger;
  }

  choices(): CompatChoices {
    return structuredClone(this.#choices);
  }

  /** Spellings of the operations path to try, the remembered one alone once it is known. */
  operationPaths(): { spelling: OperationsSpelling; path: string }[] {
    const known = this.#choices.operationsPath;
    const order: OperationsSpelling[] = known ? [known] : ['plural', 'singular'];
    return order.map((spelling) => ({ spelling, path: OPERATIONS_PATHS[spelling] }));
  }

  operationsPathWorked(spelling: OperationsSpelling): void {
    if (this.#choices.operationsPath === spelling) return;
    const first = this.#choices.operationsPath === undefined && spelling === 'plural';
    this.#choices.operationsPath = spelling;
    this.#learned(first ? undefined : `operations path /${OPERATIONS_PATHS[spelling]}/{id}`, {
      operationsPath: spelling,
    });
  }

  /** The shapes of `sourceSpec` to send, in order; a second one only while nothing is known. */
  sourceShapes(sandbox: string): SourceSpecShape[] {
    if (this.#setting !== 'auto') return [this.#setting];
    const known = this.#choices.sourceSpec?.[sandbox];
    if (known) return [known];
    return ['params', 'flat'];
  }

  sourceShapeWorked(sandbox: string, shape: SourceSpecShape): void {
    if (this.#setting !== 'auto' || this.#choices.sourceSpec?.[sandbox] === shape) return;
    this.#choices.sourceSpec = { ...this.#choices.sourceSpec, [sandbox]: shape };
    this.#learned(shape === 'flat' ? 'sourceSpec sent flat' : undefined, { sandbox, sourceSpec: shape });
  }

  /** Whether to send the runs list's commented-out parameters: only once the service took them. */
  runsListParams(): boolean {
    return this.#choices.runsListParams === 'accepted';
  }

  runsListParamsRefused(): void {
    if (this.#choices.runsListParams === 'refused') return;
    this.#choices.runsListParams = 'refused';
    this.#learned('runs listed without limit/sortBy', { runsListParams: 'refused' });
  }

  #learned(switched: string | undefined, detail: Record<string, unknown>): void {
    if (switched) this.#logger?.info(detail, `AEP takes the other reading of the page: ${switched}`);
    this.#onLearn?.(this.choices());
  }
}

/** The create body with `sourceSpec` in `shape`; everything else as the manifest wrote it. */
export function withSourceShape(body: AudienceSpec, shape: SourceSpecShape): AudienceSpec {
  const { params } = sourceParams(body.sourceSpec);
  return { ...body, sourceSpec: shape === 'params' ? { params } : params };
}

/** A 400 that names `sourceSpec`: the service reads the other shape. */
export function refusesSourceShape(error: AepError): boolean {
  if (error.status !== 400) return false;
  const mentions = (text: string | undefined) => text?.includes('sourceSpec') ?? false;
  return (
    mentions(error.message) || error.details.some((item) => mentions(item.path) || mentions(item.message))
  );
}
