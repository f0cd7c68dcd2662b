import { describe, expect, it } from 'vitest';
import { readFilterEnv } from './filter-env.js';

describe('readFilterEnv: AUDIENCECTL_INCLUDE / AUDIENCECTL_EXCLUDE (review 33, M-1)', () => {
  it('a value holding line breaks is one glob per line, blanks kept inside, blank lines dropped', () => {
    expect(readFilterEnv('AUDIENCECTL_EXCLUDE', '\nTeam A/archive/**\r\n  drafts/**  \n\n')).toEqual({
      ok: true,
      globs: ['Team A/archive/**', 'drafts/**'],
      notes: [],
    });
  });

  it('a line that is itself a list of globs is read as one glob, and said', () => {
    expect(readFilterEnv('AUDIENCECTL_EXCLUDE', 'drafts/** archive/**\nold.yaml\n')).toEqual({
      ok: true,
      globs: ['drafts/** archive/**', 'old.yaml'],
      notes: [
        'AUDIENCECTL_EXCLUDE: the line "drafts/** archive/**" is read as one glob holding blanks (one glob per line); if it lists several, put each on its own line',
      ],
    });
  });

  it.each([
    ['loyalty/** web.yaml', ['loyalty/**', 'web.yaml']],
    ['  drafts/**\t**/archive/*.yml ', ['drafts/**', '**/archive/*.yml']],
    ['Team?A/archive/**', ['Team?A/archive/**']],
    ['drafts', ['drafts']],
    ['', []],
    ['   ', []],
  ])('one line %j is split at blanks, as before', (value, globs) => {
    expect(readFilterEnv('AUDIENCECTL_INCLUDE', value)).toEqual({ ok: true, globs, notes: [] });
  });

  it.each([
    [
      'Team A/archive/**',
      'AUDIENCECTL_EXCLUDE: a value on one line is split at blanks, and "Team" (of "Team A/archive/**") is no glob on its own (no wildcard, no file extension); put each glob on its own line',
    ],
    [
      'drafts/** **/Team A/**',
      'AUDIENCECTL_EXCLUDE: a value on one line is split at blanks, and "**/Team" (of "**/Team A/**") is no glob on its own (no wildcard, no file extension); put each glob on its own line',
    ],
    [
      'live/my file.yaml',
      'AUDIENCECTL_EXCLUDE: a value on one line is split at blanks, and "live/my" (of "live/my file.yaml") is no glob on its own (no wildcard, no file extension); put each glob on its own line',
    ],
    [
      'drafts/** archive',
      'AUDIENCECTL_EXCLUDE: a value on one line is split at blanks, and "archive" (of "drafts/** archive") is no glob on its own (no wildcard, no file extension); put each glob on its own line',
    ],
    [
      'Team\\ A/**',
      'AUDIENCECTL_EXCLUDE: a value on one line is split at blanks, and "Team\\" (of "Team\\ A/**") is no glob on its own (a blank cannot be escaped); put each glob on its own line',
    ],
    [
      '"Team A/archive/**"',
      'AUDIENCECTL_EXCLUDE: the value is in quotes, which a variable keeps as part of the glob (no shell takes them away); write the globs without quotes, each on its own line',
    ],
    [
      "'drafts/**'",
      'AUDIENCECTL_EXCLUDE: the value is in quotes, which a variable keeps as part of the glob (no shell takes them away); write the globs without quotes, each on its own line',
    ],
    [
      'drafts/**\n"Team A/**"\n',
      'AUDIENCECTL_EXCLUDE: line 2 is in quotes, which a variable keeps as part of the glob (no shell takes them away); write the globs without quotes, each on its own line',
    ],
  ])('%j is refused in one line naming the variable', (value, message) => {
    expect(readFilterEnv('AUDIENCECTL_EXCLUDE', value)).toEqual({ ok: false, message });
  });
});
