import { describe, expect, it } from 'vitest';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { holdUnreachableSandboxes } from './hold-sandboxes.js';

describe('holdUnreachableSandboxes', () => {
  const loaded = loadTexts({
    'a/gold.yaml': manifestYaml('gold'),
    'b/both.yaml': `${manifestYaml('silver')}---\n${manifestYaml('qgold', { metadata: { sandbox: 'qa' } })}`,
  });
  const reachable = (sandbox: string) => sandbox === 'prod';

  // silver's document is 24 lines, then '---': qgold's starts on line 26.
  it('fails the whole file of a manifest whose sandbox no credentials reach, and keeps the rest', () => {
    const held = holdUnreachableSandboxes(loaded, reachable);
    expect(held.manifests.map((m) => `${m.sandbox}/${m.key}`)).toEqual(['prod/gold']);
    expect(held.failedFiles).toEqual(['b/both.yaml']);
    expect(held.held).toEqual([
      { sandbox: 'prod', key: 'silver', file: 'b/both.yaml' },
      { sandbox: 'qa', key: 'qgold', file: 'b/both.yaml' },
    ]);
    expect(held.diagnostics.map((d) => `${d.file}:${d.line} ${d.severity} ${d.rule}`)).toEqual([
      'b/both.yaml:26 error config/sandbox-without-credentials',
    ]);
    expect(held.diagnostics[0]?.message).toContain('no AEP credentials for sandbox "qa" (audience "qgold")');
  });

  it('leaves a load whose sandboxes are all reached as it is', () => {
    expect(holdUnreachableSandboxes(loaded, () => true)).toBe(loaded);
  });
});
