import type { Logger } from 'pino';

// Apart from src/log.ts, which loads pino: the AEP client names its component on a logger it is
// given, and the CLI gives it none (apply, init and plan --refresh log nothing through pino).

/**
 * One child logger per component, with its context bound (sandbox, key, revision, ...).
 * A parent that already names a component keeps its name (pino would write the key twice).
 */
export function componentLogger(
  parent: Logger,
  component: string,
  bindings: Record<string, unknown> = {},
): Logger {
  if ('component' in parent.bindings()) return parent.child(bindings);
  return parent.child({ component, ...bindings });
}
