import type { CancelableRequest, Response } from 'got';

/**
 * The largest answer of AEP or IMS read: 32 MiB. No page of the API comes near it (40 external
 * audiences a page, a bulk-get of a batch of audiences, a token answer of a few hundred bytes);
 * an answer past it is a proxy's, a misbehaving or hostile endpoint's, or a small gzip body
 * that inflates to gigabytes, and reading it on would only run the process out of memory.
 */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** The code the failure of an answer past the cap carries (read as no answer). */
export const ANSWER_TOO_LARGE = 'AEP_ANSWER_TOO_LARGE';

/** An answer past the cap, cut off where it passed it: `status` as its status line said. */
export class AnswerTooLargeError extends Error {
  override readonly name = 'AnswerTooLargeError';
  readonly code = ANSWER_TOO_LARGE;
  constructor(
    readonly maxBytes: number,
    readonly status: number | undefined,
  ) {
    super(`the answer is larger than ${mebibytes(maxBytes)}`);
  }
}

export function mebibytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}

/**
 * `request`, cancelled once its answer's body (as read, after decompression) or its declared
 * length passes `maxBytes`: it then rejects with AnswerTooLargeError, and is not retried (the
 * same endpoint would send the same again).
 */
export async function cappedAnswer(
  request: CancelableRequest<Response<string>>,
  maxBytes: number = MAX_ANSWER_BYTES,
): Promise<Response<string>> {
  let tooLarge = false;
  // `on` hands the request back: the one awaited is below.
  void request.on('downloadProgress', ({ transferred, total }) => {
    if (tooLarge || (transferred <= maxBytes && (total ?? 0) <= maxBytes)) return;
    tooLarge = true;
    request.cancel();
  });
  try {
    return await request;
  } catch (error) {
    if (!tooLarge) throw error;
    const status: unknown = (error as { response?: { statusCode?: unknown } }).response?.statusCode;
    throw new AnswerTooLargeError(maxBytes, typeof status === 'number' ? status : undefined);
  }
}
