import type { CompatChoices, LearnedChoice } from './compat-schema.js';

// Apart from compat-schema.ts (zod's schemas): the state store keeps choices with these, and a
// store opened only to be read loaded zod for them.

/** `choices` with `learned` in place of what it replaces. */
export function withLearned(choices: CompatChoices, learned: LearnedChoice): CompatChoices {
  switch (learned.choice) {
    case 'operationsPath':
      return { ...choices, operationsPath: learned.value };
    case 'runsListParams':
      return { ...choices, runsListParams: learned.value };
    case 'runsListStart':
      return { ...choices, runsListStart: learned.value };
    case 'deletePath':
      return { ...choices, deletePath: learned.value };
    case 'audiencesTotalCount':
      return { ...choices, audiencesTotalCount: learned.value };
    case 'patchRefusals':
      return { ...choices, patchRefusals: learned.value };
    case 'audienceIds':
      return { ...choices, audienceIds: learned.value };
    case 'sourceSpec':
      return { ...choices, sourceSpec: { ...choices.sourceSpec, [learned.sandbox]: learned.value } };
  }
}

/**
 * The key choices are kept under: the base URL without user info, query or fragment (they
 * may hold credentials, and do not change which service answers) and without a trailing `/`.
 */
export function compatKey(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    // An unparsable base URL never reaches a request; keep nothing that could be a secret.
    return '';
  }
  return `${url.protocol}//${url.host}${url.pathname}`.replace(/\/+$/, '');
}
