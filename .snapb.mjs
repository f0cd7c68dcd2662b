// ../../work/main/src/cache/cache-file.ts
import { createHash, webcrypto } from "node:crypto";
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
function loadCacheBytesSync(file2) {
  try {
    const bytes = readFileSync(file2);
    const end = bytes.indexOf(10);
    if (end < 0) return void 0;
    return {
      bytes,
      end,
      digest: createHash("sha1").update(bytes.subarray(end + 1)).digest("hex")
    };
  } catch {
    return void 0;
  }
}
var BATCH_CHARS = 1 << 20;

// ../../work/main/src/text/lazy-property.ts
var accessors = /* @__PURE__ */ new Map();
function settle(owner, key, value) {
  Object.defineProperty(owner, key, { value, writable: true, enumerable: true, configurable: true });
}
function accessorsFor(key) {
  let found = accessors.get(key);
  if (found) return found;
  const pending = /* @__PURE__ */ new WeakMap();
  const descriptor = {
    enumerable: true,
    configurable: true,
    get() {
      const what = pending.get(this);
      if (what === void 0)
        throw new TypeError(`lazy property ${key} read on an object it was not made for`);
      const value = typeof what === "string" ? JSON.parse(what) : what();
      pending.delete(this);
      settle(this, key, value);
      return value;
    },
    set(value) {
      pending.delete(this);
      settle(this, key, value);
    }
  };
  found = { descriptor, pending };
  accessors.set(key, found);
  return found;
}
function withLazyProperty(source, key, pending) {
  const found = accessorsFor(key);
  const copy = {};
  for (const name of Object.keys(source)) {
    if (name === key) Object.defineProperty(copy, key, found.descriptor);
    else copy[name] = source[name];
  }
  found.pending.set(copy, pending);
  return copy;
}

// ../../work/main/src/state/record-id.ts
function recordId(sandbox, key) {
  return `${sandbox}/${key}`;
}

// ../../work/main/src/state/snapshot.ts
var SNAPSHOT_FORMAT = "audiencectl-state-snapshot/3";
function isEntry(value) {
  if (!Array.isArray(value) || value.length !== 5) return false;
  const [size, mtimeMs, ctimeMs, ino, record] = value;
  return typeof size === "number" && typeof mtimeMs === "number" && typeof ctimeMs === "number" && typeof ino === "number" && typeof record === "object" && record !== null && typeof record.sandbox === "string" && typeof record.key === "string";
}
function readSnapshot(loaded, dir, schema) {
  if (!loaded) return void 0;
  try {
    const { bytes, end } = loaded;
    const header = JSON.parse(bytes.toString("utf8", 0, end));
    const body = bytes.subarray(end + 1);
    if (header?.format !== SNAPSHOT_FORMAT || header.dir !== dir || header.schema !== schema || typeof header.scannedAt !== "number" || header.digest !== loaded.digest)
      return void 0;
    const records = /* @__PURE__ */ new Map();
    for (const line of body.toString("utf8").split("\n")) {
      if (line === "") continue;
      const parts = line.split("	");
      if (parts.length !== LAZY.length + 1) return void 0;
      const entry = JSON.parse(parts[0]);
      if (!isEntry(entry)) return void 0;
      for (let i = 0; i < LAZY.length; i += 1) {
        const { parent, key, replace } = LAZY[i];
        const owner = parent(entry[4]);
        const held = typeof owner === "object" && owner !== null && key in owner;
        if (held !== (parts[i + 1] !== "")) return void 0;
        if (held) entry[4] = replace(entry[4], withLazyProperty(owner, key, parts[i + 1]));
      }
      records.set(recordId(entry[4].sandbox, entry[4].key), entry);
    }
    return { scannedAt: header.scannedAt, records };
  } catch {
    return void 0;
  }
}
var LAZY = [
  {
    parent: (record) => record.applied,
    key: "spec",
    replace: (record, owner) => Object.assign(record, { applied: owner })
  },
  { parent: (record) => record, key: "observed", replace: (_record, owner) => owner }
];

// ../../work/main/src/state/record-schema-id.ts
var RECORD_SCHEMA_ID = "68c308105eba25d64feb4549cf1e96b2f5dd985a";

// b.ts
var file = "/tmp/exp/state/state-snapshot.jsonl";
for (let i = 0; i < 6; i++) {
  const loaded = loadCacheBytesSync(file);
  const t = performance.now();
  const s = readSnapshot(loaded, "/tmp/exp/state", RECORD_SCHEMA_ID);
  console.log(i, (performance.now() - t).toFixed(1), s?.records.size);
}
