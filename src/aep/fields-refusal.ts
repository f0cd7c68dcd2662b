import type { Compat } from './compat.js';
import { AepError, aepErrorInit } from './errors.js';

/**
 * A PATCH refused (422) for the fields it lists, told without the service naming them: the
 * same PATCH without its fields was accepted (tellFieldsRefusal). Its facts and message are the
 * first refusal's.
 */
export class AepFieldsRefusedError extends AepError {
  override readonly name: string = 'AepFieldsRefusedError';

  constructor(refusal: AepError) {
    super(aepErrorInit(refusal));
  }
}

/** Sends a PATCH body: what the service answers (the audience), or throws an AepError. */
export type SendPatch<T> = (body: Record<string, unknown>) => Promise<T>;

/** Whether `error` is a 422 of the service that names no rule: the appendix's text only, or a bare 422. */
export function refusedNamingNothing(error: unknown): boolean {
  return error instanceof AepError && error.status === 422 && error.details.length === 0;
}

/**
 * The page shows no error body, and gives 100960-422 one text: "The request structure is valid,
 * but it cannot be processed due to logical or semantic errors". A service that names the
 * rules a PATCH broke (`fields[1].name: ... PATCH cannot add fields`) says which of its fields
 * it refuses; one that names none does not (Tolerant Reader: ../shared/design/STYLE.md). For a
 * PATCH whose listed fields nobody compared with the audience's (an imported, discovered or
 * adopted audience: `fieldsUncompared`), such a refusal is told by the same PATCH without its
 * fields: accepted, the fields were what the service refused (AepFieldsRefusedError); refused
 * too, the first refusal stands. Only once the service is known to answer refusals naming no
 * rule (compat `patchRefusals: unnamed`, learned from any such refusal, and remembered per
 * base URL): a service that names its rules would have named a refused field, and a refusal
 * that passes (a run in progress, say) is then no refusal of the fields. The first such refusal
 * of a service not known yet fails as before, and teaches it.
 */
export async function tellFieldsRefusal<T>(
  compat: Compat,
  send: SendPatch<T>,
  body: Record<string, unknown>,
  fieldsUncompared: boolean,
): Promise<T> {
  try {
    return await send(body);
  } catch (error) {
    if (!(error instanceof AepError) || error.status !== 422) throw error;
    if (!refusedNamingNothing(error)) {
      compat.patchRefusalsLearned('named');
      throw error;
    }
    const known = compat.patchRefusalsUnnamed();
    compat.patchRefusalsLearned('unnamed');
    const { fields, ...rest } = body;
    if (!fieldsUncompared || !known || fields === undefined || Object.keys(rest).length === 0) throw error;
    try {
      await send(rest);
    } catch (without) {
      // Refused without the fields too: the first refusal stands, not theirs to answer for. Any
      // other failure (its outcome unknown, cancelled) is said as it is.
      const refused = without instanceof AepError && !without.outcomeUnknown && without.status !== undefined;
      throw refused ? error : without;
    }
    throw new AepFieldsRefusedError(error);
  }
}
