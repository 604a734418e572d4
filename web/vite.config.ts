// The dashboard's build: web/ → dist/web/ with relative asset paths, so `bosun serve` can serve it
// from any mount point. scripts/build.mjs runs this build (skipping it when web/ and src/client/
// are unchanged); `npx vite --config web/vite.config.ts` serves it for development, proxying /api
// to a `bosun serve` on the default port.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** A folder next to this file, as a path (no node: import, so web/'s DOM-only types suffice). */
const here = (path: string) => decodeURIComponent(new URL(path, import.meta.url).pathname);

export default defineConfig({
  root: here('.'),
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
  },
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:7433', ws: true } },
  },
});
