/**
 * The top functions of a V8 CPU profile (`node --cpu-prof`, or BENCH_PROFILE with the bench
 * section): self time per function (name, file:line), as a Markdown table, and the share of
 * samples whose stack goes through each of the given words (`--through auth,present`).
 * With --by-file, self time is summed per file instead of per function; with --inclusive, a second
 * table gives each function's inclusive time (samples with the function anywhere on their stack).
 * Usage: npx tsx bench/rest-bayeux/profile-top.ts FILE.cpuprofile [--top 25] [--through a,b] [--by-file] [--inclusive]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = process.argv[2];
const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const top = Number(arg('--top') ?? 25);
const through = (arg('--through') ?? '').split(',').filter(Boolean);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: Node): string => {
  const url = n.callFrame.url.replace(/^.*\/(node_modules\/)?/, (m, nm) => (nm ? 'node_modules/' : '')).replace(/^file:\/\//, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
const self = new Map<string, number>();
const via = new Map<string, number>(through.map((w) => [w, 0]));
const inclusive = new Map<string, number>();
const wantInclusive = process.argv.includes('--inclusive');
let total = 0;
/** samples of an idle thread: not busy, in no row */
let idle = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const n = byId.get(id)!;
  if (n.callFrame.functionName === '(idle)') {
    idle += dt;
    return;
  }
  // by file, V8's own entries (natives, the collector, program) are one row: they have no file
  const key = process.argv.includes('--by-file') ? label(n).replace(/^.* /, '').replace(/:\d+$/, '') || '(V8: natives, GC, program)' : label(n);
  self.set(key, (self.get(key) ?? 0) + dt);
  if (through.length || wantInclusive) {
    const stack: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(label(byId.get(cur)!));
    for (const w of through) if (stack.some((s) => s.includes(w))) via.set(w, via.get(w)! + dt);
    for (const k of new Set(stack)) inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
  }
});
const busy = total - idle;
console.log(`| self % of busy | function |\n|--:|---|`);
for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`| ${((100 * v) / busy).toFixed(1)} | ${k.replace(/\|/g, '\\|')} |`);
}
if (through.length) {
  console.log(`\n| stack through | % of busy |\n|---|--:|`);
  for (const [w, v] of via) console.log(`| ${w} | ${((100 * v) / busy).toFixed(1)} |`);
}
if (wantInclusive) {
  console.log(`\n| inclusive % of busy | function |\n|--:|---|`);
  for (const [k, v] of [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${((100 * v) / busy).toFixed(1)} | ${k.replace(/\|/g, '\\|')} |`);
}
