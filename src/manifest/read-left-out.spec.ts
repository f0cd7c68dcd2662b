import { describe, expect, it } from 'vitest';
import { claimsOurs, readOnlyIfClaimed } from './read-left-out.js';

describe('readOnlyIfClaimed: the files the search for a removed manifest reads only when they claim to be one', () => {
  it('is every name of no manifest and every renamed one; not a name the default reads or leaves out as a manifest', () => {
    const names: Record<string, boolean> = {
      // No manifest's name, or a renamed one's: the search asks its text for `apiVersion: audiencectl/`.
      'state/audiences/prod/gold.json': true,
      'gold.JSON': true,
      '.state/gold.json': true,
      'node_modules/x.json': true,
      'x.yaml.d/gold.json': true,
      'a/gold.bak': true,
      'notes.txt': true,
      'gold.ymal': true,
      'gold.yaml.bak': true,
      'gold.YML~': true,
      '.archive/gold.yaml.bak': true,
      // Read as a manifest's whatever its text (the default reads it, or leaves it out for its
      // case, a dot or a blank after it).
      'gold.yaml': false,
      'a/B.YAML': false,
      'a/c.Yml': false,
      '.archive/gold.yaml': false,
      '.gold.yml': false,
      'a/b.yaml ': false,
      'a/b.yml\r': false,
      'node_modules/gold.yaml': false,
    };
    for (const [name, claimed] of Object.entries(names))
      expect([name, readOnlyIfClaimed(name)]).toEqual([name, claimed]);
  });
});

describe('claimsOurs: a text that says it is an audiencectl manifest', () => {
  it('in any spelling of the value a YAML or JSON writer gives it: its slash escaped, a !!str tag; not another apiVersion', () => {
    const texts: Record<string, boolean> = {
      'apiVersion: audiencectl/v1\n': true,
      '{"apiVersion": "audiencectl/v1"}': true,
      "apiVersion: 'audiencectl/v1'\n": true,
      // PHP's json_encode escapes every slash; YAML's double-quoted scalars read \/ and \x2F as one.
      '{"apiVersion":"audiencectl\\/v1"}': true,
      'apiVersion: "audiencectl\\x2Fv1"\n': true,
      '{"apiVersion":"audiencectl\\u002fv1"}': true,
      'apiVersion: !!str audiencectl/v1\n': true,
      'apiVersion: !!str "audiencectl\\/v1"\n': true,
      'apiVersion: v1\nkind: ConfigMap\n': false,
      'apiVersion: audiencectl.io/v1\n': false,
      'see audiencectl/v1 in the docs\n': false,
    };
    for (const [text, claims] of Object.entries(texts))
      expect([text, claimsOurs(text)]).toEqual([text, claims]);
  });
});
