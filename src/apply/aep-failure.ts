/** What the executor needs to know of a failed API call, read defensively from the error. */
export type AepFailure = {
  status: number | undefined;
  platformCode: string | undefined;
  /** The request may or may not have been processed (network error, lost response). */
  outcomeUnknown: boolean;
  message: string;
};

export function aepFailure(error: unknown): AepFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  return {
    status: typeof e.status === 'number' ? e.status : undefined,
    platformCode: typeof e.platformCode === 'string' ? e.platformCode : undefined,
    outcomeUnknown: e.outcomeUnknown === true,
    message: error instanceof Error ? error.message : String(error),
  };
}

export const isNotFound = (f: AepFailure): boolean => f.status === 404;
export const isDuplicate = (f: AepFailure): boolean => f.status === 409 || f.platformCode === '100950-409';
