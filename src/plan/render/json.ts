import type { Plan } from '../schema.js';

/** The plan as stable JSON (documented in the README); also the saved-plan format. */
export function renderJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
