/**
 * Pathological YAML, each file under the 1 MiB size limit: what an attacker (or a
 * bad generator) can put in a repository to knock a YAML parser over. Used by the
 * hostile-input test (outcome) and bench/hostile.bench.ts (time and memory).
 */
export const HOSTILE: Record<string, () => string> = {
  'deep-flow-seq.yaml': () => `a: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`,
  'deep-flow-map.yaml': () => `a: ${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}\n`,
  'deep-block-map.yaml': () => Array.from({ length: 1_300 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'),
  'deep-block-seq.yaml': () => `${'- '.repeat(5_000)}x\n`,
  // One line that nests as deep: explicit keys, and keys after keys (YAML refuses `k: k:`, after nesting it).
  'deep-explicit-keys.yaml': () => `${'? '.repeat(5_000)}x\n`,
  'deep-keys-on-a-line.yaml': () => `${'k: '.repeat(5_000)}x\n`,
  // To the prescan, all after the third quote is one unclosed quoted string; to the parser, 5,000 nested maps.
  'deep-past-a-misread-quote.yaml': () => `'\n'x\n'${'{a: '.repeat(5_000)}`,
  'half-million-brackets.yaml': () => `${'['.repeat(500_000)}${']'.repeat(500_000)}`,
  'unclosed-brackets.yaml': () => '['.repeat(1_000_000),
  'unclosed-braces.yaml': () => `a: ${'{'.repeat(1_000_000)}`,
  'many-documents.yaml': () => '{}\n---\n'.repeat(100_000),
  'many-empty-documents.yaml': () => '---\n'.repeat(200_000),
  'many-nodes.yaml': () => `a: [${'1,'.repeat(300_000)}1]\n`,
  'long-scalar.yaml': () => `a: ${'x'.repeat(1_000_000)}\n`,
  'long-quoted-scalar.yaml': () => `a: "${'\\"['.repeat(300_000)}"\n`,
  'unclosed-quote.yaml': () => `a: "${'[{'.repeat(400_000)}\n`,
  'many-anchors.yaml': () =>
    Array.from({ length: 40_000 }, (_, i) => `k${i}: &a${i} [*a${Math.max(0, i - 1)}]`).join('\n'),
  'alias-bomb.yaml': () => {
    let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 0; i < 9; i += 1) {
      text += `b${i}: &b${i} [${Array(9)
        .fill(i === 0 ? '*a' : `*b${i - 1}`)
        .join(',')}]\n`;
    }
    return text;
  },
  'many-keys.yaml': () => Array.from({ length: 60_000 }, (_, i) => `key${i}: v`).join('\n'),
  'tabs-and-garbage.yaml': () => '\t[\t{\t'.repeat(200_000),
};
