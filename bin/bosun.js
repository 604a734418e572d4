#!/usr/bin/env -S node --max-semi-space-size=4
// The `bosun` command: runs the bundled CLI built by `npm run build`. The young generation is
// kept at 4 MB per semi-space: a scheduler that runs for long otherwise grows it to 16 MB each for
// no measurable speed (decision 0008); `node bin/bosun.js` runs without the flag.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bosun.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "error[unavailable]: bosun is not built; run 'npm run build' in its folder\n",
  );
  process.exit(10);
}
await import(entry.href);
