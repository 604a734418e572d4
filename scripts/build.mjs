// Bundles the CLI with esbuild: one ESM entry plus lazily loaded chunks, so a cold `bosun`
// start loads only what the command needs. Native and optional drivers stay external.
//
// The bundle is built in a fresh folder and swapped in with two renames, so a `bosun` process
// started meanwhile never finds dist/ half written; `--if-stale` skips the build when no source
// changed since the last one (the test suite's setup uses it). The web dashboard (web/, Vite) is
// built into dist/web/ with it, or copied from the previous dist/ when web/ and the browser client
// are unchanged, so a CLI-only change costs no Vite build.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');

/** A fingerprint of the files under `dirs` and of `files` (path, size, mtime). */
function fingerprint(dirs, files) {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const stat = statSync(path);
        hash.update(`${path}:${stat.size}:${stat.mtimeMs}\n`);
      }
    }
  };
  for (const dir of dirs) if (existsSync(join(root, dir))) walk(join(root, dir));
  for (const file of files) {
    const path = join(root, file);
    if (existsSync(path))
      hash.update(`${file}:${readFileSync(path, 'utf8').length}:${statSync(path).mtimeMs}\n`);
  }
  return hash.digest('hex');
}

// Every input: the sources, the dashboard, this script and the lockfile; and the dashboard's own.
const stampFile = join(dist, '.inputs');
const stamp = fingerprint(['src', 'web'], ['scripts/build.mjs', 'package-lock.json']);
const webStamp = fingerprint(['web', 'src/client', 'src/shared'], ['package-lock.json']);
if (
  process.argv.includes('--if-stale') &&
  existsSync(stampFile) &&
  readFileSync(stampFile, 'utf8') === stamp
) {
  process.exit(0);
}

const fresh = join(root, `dist.${process.pid}`);
rmSync(fresh, { recursive: true, force: true });
await build({
  entryPoints: {
    bosun: 'src/cli/index.ts',
    mcp: 'src/mcp/index.ts',
    server: 'src/server/index.ts',
  },
  outdir: fresh,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Less text to parse at every start (~25 ms of a cold `task next`); names are kept, so stack
  // traces still read, and the linked source maps lead back to the sources.
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['better-sqlite3', 'sqlite-vec', 'pg', 'pg-native', '@lydell/node-pty'],
  banner: {
    js: "import { createRequire as __bosunCreateRequire } from 'node:module'; const require = __bosunCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
await buildDashboard(join(fresh, 'web'));
writeFileSync(join(fresh, '.inputs'), stamp);
const old = join(root, `dist.old.${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(fresh, dist);
rmSync(old, { recursive: true, force: true });

/** The dashboard into `outDir`: copied from the last build when its inputs are unchanged. */
async function buildDashboard(outDir) {
  if (!existsSync(join(root, 'web', 'index.html'))) return;
  const previous = join(dist, 'web');
  const previousStamp = join(previous, '.inputs');
  if (existsSync(previousStamp) && readFileSync(previousStamp, 'utf8') === webStamp) {
    cpSync(previous, outDir, { recursive: true });
    return;
  }
  const { build: viteBuild } = await import('vite');
  // React's production build whoever runs this: Vite (and the React plugin) follow NODE_ENV, which
  // the test runner sets to `test` — that gave the development build, three times the size.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await viteBuild({
      configFile: join(root, 'web', 'vite.config.ts'),
      mode: 'production',
      build: { outDir, emptyOutDir: true },
      logLevel: 'warn',
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  writeFileSync(join(outDir, '.inputs'), webStamp);
}
