#!/usr/bin/env node
// The `bosun` command: runs the bundled CLI built by `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bosun.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "error[unavailable]: bosun is not built; run 'npm run build' in its folder\n",
  );
  process.exit(10);
}
await import(entry.href);
