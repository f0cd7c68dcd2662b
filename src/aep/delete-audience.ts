import { redactText } from '../text/secrets.js';
import type { Compat, DeleteSpelling } from './compat.js';
import { unconfirmedDeletion } from './delete-answer.js';
import { safeUrl } from '../text/safe-url.js';
import { AepDeleteNotFoundError, AepError, aepErrorInit, isNotFoundAnswer } from './errors.js';
import { unsettled } from './http-error.js';
import { pathSegment } from './path-segment.js';
import type { ApiRequest, SentAnswer, Transport } from './transport.js';
import type { AepClient, CallOptions } from './types.js';

/**
 * The service's 404 at a fixed spelling (`api.deletePath`) while the audience's runs list
 * answers: the service may not serve that spelling (the page does not say what a deleted
 * audience's runs list answers), so the call failed, never "already deleted". Unless that 404
 * answered the retry of an attempt of unknown outcome at the same spelling (keptIfUnknown keeps
 * that outcome): the audience may be gone by that attempt, and advice to change the spelling
 * would be wrong then (review 25, L1).
 */
function notServed(sandbox: string, path: string, spelling: DeleteSpelling, notFound: AepError): AepError {
  const other = spelling === 'slash' ? 'bare' : 'slash';
  const why =
    notFound.earlierUnknown === undefined
      ? `AEP may not serve this spelling of the DELETE path (api.deletePath: ${spelling}), so nothing is read as "already deleted" (deleteAudience in sandbox "${sandbox}"). Set api.deletePath to ${other}, or to auto to let audiencectl find the spelling.`
      : `either the attempt before it deleted the audience, or AEP does not serve this spelling of the DELETE path (api.deletePath: ${spelling}); the next apply reads the service to tell (deleteAudience in sandbox "${sandbox}")`;
  return new AepError({
    code: 'AEP_UNEXPECTED_RESPONSE',
    message: `AEP answered DELETE /${path} with HTTP 404 while the audience's runs list answers: ${why}`,
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
 * A 2xx DELETE answer whose body is no confirmation (an error document a gateway sent as a
 * 200, say): the audience may or may not be gone, so the record stays and the next apply asks.
 */
function unconfirmed(sandbox: string, path: string, answer: SentAnswer): AepError | undefined {
  const reason = unconfirmedDeletion(answer.status, answer.body);
  if (!reason) return undefined;
  const id = answer.requestId === undefined ? '' : `; request id ${answer.requestId}`;
  return new AepError({
    code: 'AEP_BAD_RESPONSE',
    message: redactText(
      `AEP answered DELETE /${path} with HTTP ${answer.status} but ${reason.problem}: no confirmation, so whether the audience was deleted is unknown and it is not read as deleted (deleteAudience in sandbox "${sandbox}"${id}). The next apply checks again.`,
    ),
    status: answer.status,
    platformCode: reason.platformCode,
    requestId: answer.requestId,
    outcomeUnknown: true,
    sandbox,
    endpoint: 'deleteAudience',
    method: 'DELETE',
    attempts: answer.attempts,
  });
}

/**
 * The page spells the path two ways (with and without a trailing slash): the known one
 * first, then on a 404 the other. Only the service's 404 at both is an audience that is
 * gone (the first one is thrown, as an AepDeleteNotFoundError naming the URLs: its attempts tell
 * the story); any other failure, a 404 page of a proxy included, is no answer and is thrown as it
 * is. With one spelling fixed, its 404 is "gone" only once the audience's runs list (same
 * service, a path the page writes one way) is a 404 too. A 404 that came after an attempt of
 * unknown outcome keeps that outcome unless it is read as "gone" (keptIfUnknown). "Gone" is the
 * service's word on the path, not yet on the audience: AEP's gateway answers a path it does not
 * serve (a base URL one letter off) with a JSON 404 as well, so the delete step reads the
 * audience again before it believes it (steps/delete.ts).
 */
export function deleteAudience(transport: Transport, compat: Compat): AepClient['deleteAudience'] {
  /** undefined once it answered (a DELETE: with a confirmation); the service's 404 returned; any other failure thrown. */
  async function attempt(
    sandbox: string,
    request: ApiRequest,
    callOptions: CallOptions | undefined,
  ): Promise<AepError | undefined> {
    let answer: SentAnswer;
    try {
      answer = await transport.send(sandbox, request, callOptions);
    } catch (error) {
      if (error instanceof AepError && isNotFoundAnswer(error)) return error;
      throw error;
    }
    // Only the DELETE's body is read: the runs list answers, which is all its check asks.
    const refused = request.method === 'DELETE' ? unconfirmed(sandbox, request.path, answer) : undefined;
    if (refused) throw refused;
    return undefined;
  }

  /** Where a path of the External Audiences API went, as a message may show it. */
  const urlOf = (path: string): string => safeUrl(`${transport.baseUrl}/${path}`);

  return async (sandbox, audienceId, callOptions) => {
    const id = pathSegment(audienceId, 'audienceId');
    const paths = compat.deletePaths(id);
    let notFound: AepError | undefined;
    /** The 404 read as "no such audience", with the URLs that answered it (AepDeleteNotFoundError). */
    let gone: AepDeleteNotFoundError | undefined;
    try {
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
      if (paths.length > 1 || !fixed) {
        gone = new AepDeleteNotFoundError(
          notFound,
          paths.map(({ path }) => urlOf(path)),
        );
        throw gone;
      }
      const runs = { endpoint: 'listRuns', method: 'GET', path: `external-audience/${id}/runs` } as const;
      if (await attempt(sandbox, runs, callOptions)) {
        gone = new AepDeleteNotFoundError(notFound, [urlOf(fixed.path)]);
        throw gone;
      }
      throw notServed(sandbox, fixed.path, fixed.spelling, notFound);
    } catch (error) {
      throw error === gone ? error : keptIfUnknown(error, notFound, sandbox);
    }
  };
}

/**
 * What ends a delete whose first 404 of the service's (`notFound`) came to the retry of an
 * attempt of unknown outcome (a 5xx, no answer: AepError.earlierUnknown). That 404 settles it
 * only as "gone" (thrown as it is, before this is asked); anything else that ends the call with its outcome
 * known (the spelling not served, the runs list or the other spelling failing) keeps that
 * outcome, as the transport keeps it after any other answer that ends a call's retries: the
 * audience may be deleted, and its record and delete intent stay for the next apply.
 */
function keptIfUnknown(error: unknown, notFound: AepError | undefined, sandbox: string): unknown {
  const earlier = notFound?.earlierUnknown;
  if (earlier === undefined || !(error instanceof AepError) || error.outcomeUnknown) return error;
  // The runs list is not the DELETE: its failure is said as what it was read for.
  const ended =
    error.endpoint === 'listRuns'
      ? new AepError({
          ...aepErrorInit(error),
          message: `AEP answered the DELETE with HTTP 404, and the audience's runs list, read to tell whether it is gone, failed: ${error.message}`,
        })
      : error;
  const facts = { sandbox, endpoint: 'deleteAudience', method: 'DELETE', attempts: notFound?.attempts };
  return unsettled(earlier, ended, facts);
}
