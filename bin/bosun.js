#!/usr/bin/env -S node --max-semi-space-size=4
// The `bosun` command: runs the bundled CLI built by `npm run build` — or, for `bosun mcp` and
// `bosun serve`, the MCP server and the HTTP server, separate entry points. The young generation is kept at 4 MB per semi-space: a
// scheduler that runs for long otherwise grows it to 16 MB each for no measurable speed (decision
// 0008); `node bin/bosun.js` runs without the flag.
import { existsSync } from 'node:fs';

/** The command word: the first argument that is neither a flag nor a global flag's value. */
function commandWord(args) {
  const takesValue = new Set(['--workspace', '--db', '--as']);
  for (let i = 0; i < args.length; i++) {
    if (takesValue.has(args[i])) i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

const ENTRIES = { mcp: 'mcp.js', serve: 'server.js' };
const file = ENTRIES[commandWord(process.argv.slice(2))] ?? 'bosun.js';
const entry = new URL(`../dist/${file}`, import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "error[unavailable]: bosun is not built; run 'npm run build' in its folder\n",
  );
  process.exit(10);
}
await import(entry.href);
