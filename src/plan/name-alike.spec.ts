import { describe, expect, it } from 'vitest';
import { alikeName, alikeText, nameFragment } from './name-alike.js';

describe('alikeName', () => {
  it.each([
    ['Audience gold', 'audience GOLD', 'service'],
    ['Audience gold', 'Audience gold ', 'service'],
    ['Audience nbsp', 'Audience\u00A0nbsp', 'looks'],
    ['Caf\u00E9 club', 'Cafe\u0301 club', 'looks'],
    ['Audience gold', 'Audience\u200Bgold', undefined],
    ['Audience gold', 'Audience\u200B gold', 'looks'],
    ['Audience gold', 'Audience  gold', 'looks'],
    ['Audience gold', 'Audience golden', undefined],
    ['Audience gold', 'Audience gold', undefined],
  ] as const)('%j and %j: %s', (name, other, kind) => {
    expect(alikeName(name, other)).toBe(kind);
  });
});

describe('alikeText', () => {
  it('names the Unicode form of a name that differs only in it', () => {
    expect(alikeText('Caf\u00E9', 'Cafe\u0301', 'looks')).toBe(
      'its letters in another Unicode form (NFD), a name that looks the same, which a create would duplicate',
    );
    expect(alikeText('Audience nb', 'Audience\u00A0nb', 'looks')).toBe(
      'a name that looks the same, which a create would duplicate',
    );
    expect(alikeText('Audience gold', 'audience GOLD', 'service')).toBe(
      'the same name to the service, which refuses a second audience of it (409)',
    );
  });
});

describe('nameFragment', () => {
  it.each([
    ['Caf\u00E9 club', 'club'],
    ['Caf\u00E9', 'Caf'],
    ['Audience\u00A0nbsp', 'Audience'],
    ['\u4F1A\u54E1 \u30EA\u30B9\u30C8', '\u30EA\u30B9\u30C8'],
    [' ** ', '**'],
  ])('%j: %j', (name, part) => {
    expect(nameFragment(name)).toBe(part);
  });
});
