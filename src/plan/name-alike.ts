import { audienceLooksKey, audienceNameKey } from '../manifest/duplicates.js';

/**
 * How an audience's `other` name is like the manifest's `name`, when it is not the same:
 * `service`, the same name to the service (letter case, surrounding blanks), which refuses a
 * second audience of it; `looks`, another name to the service that shows the same (another
 * space, Unicode normalisation, an invisible character), so a create makes a look-alike. Else
 * undefined (equal, or unlike).
 */
export function alikeName(name: string, other: string): 'service' | 'looks' | undefined {
  if (other === name) return undefined;
  if (audienceNameKey(other) === audienceNameKey(name)) return 'service';
  return audienceLooksKey(other) === audienceLooksKey(name) ? 'looks' : undefined;
}

/**
 * How the audience's `other` name is like the manifest's `name` (alikeName found `kind`), said
 * after it: the same letters in another Unicode form show identically even escaped, so that is
 * named.
 */
export function alikeText(name: string, other: string, kind: 'service' | 'looks'): string {
  if (kind === 'service') return 'the same name to the service, which refuses a second audience of it (409)';
  const form =
    other.normalize('NFC') === name.normalize('NFC')
      ? `its letters in another Unicode form (${other === other.normalize('NFC') ? 'NFC' : 'NFD'}), `
      : '';
  return `${form}a name that looks the same, which a create would duplicate`;
}

/**
 * The part of `name` a look-alike of it holds too, for the Audiences API's `name` parameter
 * (the name contains it, any case): its longest run of ASCII letters and digits, which no
 * normalisation, space or case changes; else its longest run of letters and digits (NFC);
 * else the name itself, trimmed.
 */
export function nameFragment(name: string): string {
  const longest = (parts: string[]) =>
    parts.reduce((best, part) => (part.length > best.length ? part : best), '');
  const ascii = longest(name.split(/[^A-Za-z0-9]+/u));
  if (ascii !== '') return ascii;
  const letters = longest(name.normalize('NFC').split(/[^\p{L}\p{N}]+/u));
  return letters !== '' ? letters : name.trim();
}
