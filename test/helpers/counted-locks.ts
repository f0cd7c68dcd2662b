import type { StateStore } from '../../src/state/store.js';

/** `store` as an election sees it, its tries of the lock counted: `tries()` says how many so far. */
export function countedLocks(store: StateStore): { store: StateStore; tries: () => number } {
  let tries = 0;
  const counted = new Proxy(store, {
    get(target, name) {
      if (name === 'lock')
        return (...args: Parameters<StateStore['lock']>) => {
          tries++;
          return target.lock(...args);
        };
      const value: unknown = Reflect.get(target, name);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: counted, tries: () => tries };
}
