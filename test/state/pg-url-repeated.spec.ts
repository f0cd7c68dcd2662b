import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { usePostgres } from './pg.js';

/**
 * Review 33, L-4. A state URL naming `schema` twice (`…?schema=team_a&schema=team_b`, a
 * parameter appended to a URL that had one) was read silently as its first value: the command
 * worked on team_a's store while the value typed last said team_b. Bad input gives one clear
 * line naming the flag, as a misspelt `Schema` parameter already did; so does any parameter
 * given twice (PostgreSQL's client reads the last of them, audiencectl's checks every one).
 */
const pg = usePostgres();

describe('a PostgreSQL state URL naming a parameter twice', () => {
  it('is refused in one line naming --state and the parameter', async () => {
    const first = await pg.freshLocation();
    const second = await pg.freshLocation();
    const secondSchema = new URL(second).searchParams.get('schema') ?? '';
    const url = `${first}&schema=${secondSchema}`;
    const result = await runCli(['state', 'list', '--state', url]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^Error: --state: .*schema/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toBe(
      'Error: --state: the URL gives its parameter "schema" 2 times; give it once\n',
    );
  });

  it('names AUDIENCECTL_STATE, and any parameter, never a value', async () => {
    const url = 'postgres://app:s3cret@127.0.0.1:1/db?sslmode=disable&password=hunter2&sslmode=require';
    const result = await runCli(['state', 'list'], { env: { AUDIENCECTL_STATE: url } });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: AUDIENCECTL_STATE: the URL gives its parameter "sslmode" 2 times; give it once\n',
    });
  });
});
