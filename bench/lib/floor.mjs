// The read-and-parse floor of bench:plan: one thread reads every manifest and state
// file and parses them (js-yaml if installed, else yaml; JSON.parse), nothing more.
// What any tool must at least do with this input, without threads or a cache.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

let parseYaml;
try {
  const jsYaml = await import('js-yaml');
  parseYaml = (text) => (jsYaml.load ?? jsYaml.default.load)(text);
} catch {
  const yaml = await import('yaml');
  parseYaml = (text) => yaml.parse(text);
}

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file, out);
    else out.push(file);
  }
  return out;
}

const [manifests, state] = process.argv.slice(2);
let count = 0;
for (const file of walk(manifests, [])) {
  if (!/\.ya?ml$/.test(file)) continue;
  parseYaml(readFileSync(file, 'utf8'));
  count += 1;
}
for (const file of walk(state, [])) {
  if (!file.endsWith('.json')) continue;
  JSON.parse(readFileSync(file, 'utf8'));
  count += 1;
}
process.stdout.write(`${count}\n`);
