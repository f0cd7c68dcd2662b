import type { Plan } from '../plan/schema.js';
import { renderOutNotes } from '../plan/render/text.js';

/**
 * What `plan --out` says on standard error: what the text plan says besides its steps (blocked
 * steps with why, held audiences, diagnostics, an older checkout), with the commands as the
 * text plan gives them, carrying this process's --state and --config and the directory as
 * typed (README, Plan output), so that pasted here they reach the same store. The file's plan
 * gives them for another reader (a JSON plan: no flag and the absolute directory, which `apply
 * plan.json` compares word for word; Markdown: a placeholder): when its notes name a command,
 * they come from `asText`, the same plan made with the text plan's flags.
 */
export function outNotes(saved: Plan, asText: (() => Plan) | undefined): string {
  const notes = renderOutNotes(saved, { color: false });
  if (asText === undefined || !notes.includes('audiencectl ')) return notes;
  // What is found after planning (an older checkout, the base's diagnostics) is the saved plan's.
  return renderOutNotes(
    {
      ...asText(),
      diagnostics: saved.diagnostics,
      ...(saved.olderCheckout ? { olderCheckout: saved.olderCheckout } : {}),
    },
    { color: false },
  );
}
