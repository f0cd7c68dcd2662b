import type { Compat, DeleteSpelling } from './compat.js';
import { AepError, isNotFoundAnswer } from './errors.js';
import { pathSegment } from './path-segment.js';
import type { ApiRequest, Transport } from './transport.js';
import type { AepClient, CallOptions } from './types.js';

/**
 * The service's 404 at a fixed spelling (`api.deletePath`) while the audience's runs list
 * answers: the service may not serve that spelling (the page does not say what a deleted
 * audience's runs list answers), so the call failed, never "already deleted".
 */
function notServed(sandbox: string, path: string, spelling: DeleteSpelling, notFound: AepError): AepError {
  const other = spelling === 'slash' ? 'bare' : 'slash';
  return new AepError({
    code: 'AEP_UNEXPECTED_RESPONSE',
    message: `AEP answered DELETE /${path} with HTTP 404 while the audience's runs list answers: AEP may not serve this spelling of the DELETE path (api.deletePath: ${spelling}), so nothing is read as "already deleted" (deleteAudience in sandbox "${sandbox}"). Set api.deletePath to ${other}, or to auto to let audiencectl find the spelling.`,
    status: 404,
    platformCode: notFound.platformCode,
    requestId: notFound.requestId,
    outcomeUnknown: false,
    sandbox,
    endpoint: 'deleteAudience',
    method: 'DELETE',
    attempts: notFound.attempts,
  });
}

/**
 * The page spells the path two ways (with and without a trailing slash): the known one
 * first, then on a 404 the other. Only the service's 404 at both is an audience that is
 * gone (the first one is thrown: its attempts tell the story); any other failure, a 404
 * page of a proxy included, is no answer and is thrown as it is. With one spelling fixed,
 * its 404 is "gone" only once the audience's runs list (same service, a path the page
 * writes one way) is a 404 too.
 */
export function deleteAudience(transport: Transport, compat: Compat): AepClient['deleteAudience'] {
  /** undefined once it answered; the service's 404 returned; any other failure thrown. */
  async function attempt(
    sandbox: string,
    request: ApiRequest,
    callOptions: CallOptions | undefined,
  ): Promise<AepError | undefined> {
    try {
      await transport.send(sandbox, request, callOptions);
      return undefined;
    } catch (error) {
      if (error instanceof AepError && isNotFoundAnswer(error)) return error;
      throw error;
    }
  }

  return async (sandbox, audienceId, callOptions) => {
    const id = pathSegment(audienceId, 'audienceId');
    const paths = compat.deletePaths(id);
    let notFound: AepError | undefined;
    for (const { spelling, path } of paths) {
      const missing = await attempt(
        sandbox,
        { endpoint: 'deleteAudience', method: 'DELETE', path },
        callOptions,
      );
      if (!missing) {
        compat.deletePathWorked(spelling);
        return;
      }
      notFound ??= missing;
    }
    if (!notFound) throw new Error('unreachable: no DELETE path to try');
    const [fixed] = paths;
    if (paths.length > 1 || !fixed) throw notFound;
    const runs = { endpoint: 'listRuns', method: 'GET', path: `external-audience/${id}/runs` } as const;
    if (await attempt(sandbox, runs, callOptions)) throw notFound;
    throw notServed(sandbox, fixed.path, fixed.spelling, notFound);
  };
}
