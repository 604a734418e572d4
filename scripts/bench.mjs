// `npm run bench`: builds the CLI, then runs every bench/*.bench.ts in its own process. Each
// prints one JSON line per result; a failing benchmark fails the run.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const only = process.argv.slice(2);
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((name) => f.includes(name)))
  .sort();
for (const file of files) {
  execFileSync(process.execPath, ['--import', 'tsx', `bench/${file}`], { stdio: 'inherit' });
}
