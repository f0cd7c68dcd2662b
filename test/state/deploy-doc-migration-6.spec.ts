import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

// Review 35c L-1. docs/deploy.md ("PostgreSQL state") tells an operator what the chart's
// init-state step migrates during an upgrade of this release: "this one adds 5", and the
// rolling-update list ends at migration 5 ("Migrations only add: … 5 the column
// meta.revisions (with a default)"). This release adds migration 6 (`audiencectl init` prints
// `applied migration 6 (meta.nonce: a random token written with every serial)`): a column with
// no default and a trigger function calling gen_random_uuid(), which needs PostgreSQL 13 or later
// (docs/state.md says so; deploy.md, where an operator plans the upgrade, does not).
describe('docs/deploy.md, PostgreSQL state', () => {
  it('names the migration this release adds, and the PostgreSQL version it needs', async () => {
    const text = await readFile(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    const section = text.slice(
      text.indexOf('### PostgreSQL state'),
      text.indexOf('### Repairing the file state'),
    );
    expect(section).not.toContain('this one adds 5');
    expect(section).toContain('meta.nonce');
    expect(section).toContain('PostgreSQL 13');
  });
});
