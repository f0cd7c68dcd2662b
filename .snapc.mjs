// c.ts
import { readFileSync } from "node:fs";
var buf = readFileSync("/tmp/exp/state/state-snapshot.jsonl");
var end = buf.indexOf(10);
var T = (name, f) => {
  const t = performance.now();
  const r = f();
  console.log(name, (performance.now() - t).toFixed(1));
  return r;
};
for (let round = 0; round < 2; round++) {
  const text = T("toString", () => buf.toString("utf8", end + 1));
  const lines = T("split lines", () => text.split("\n"));
  const parts = T("split tabs", () => lines.map((l) => l.split("	")));
  T("parse heads", () => parts.map((p) => p[0] ? JSON.parse(p[0]) : 0));
  T("parse heads joined", () => JSON.parse("[" + parts.filter((p) => p[0]).map((p) => p[0]).join(",") + "]"));
  T("indexOf tab + slice", () => lines.map((l) => {
    const i = l.indexOf("	");
    return i < 0 ? 0 : JSON.parse(l.slice(0, i));
  }));
}
