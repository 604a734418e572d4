// The dashboard's build: web/ → dist/web/ with relative asset paths, so `bosun serve` can serve it
// from any mount point. scripts/build.mjs runs this build (skipping it when web/ and src/client/
// are unchanged); `npm run dev:web` serves it for development with hot reload, proxying /api to
// the `bosun serve` at BOSUN_URL (default http://127.0.0.1:7433) as if the page came from it.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** A folder next to this file, as a path (no node: import, so web/'s DOM-only types suffice). */
const here = (path: string) => decodeURIComponent(new URL(path, import.meta.url).pathname);

const target = (process.env['BOSUN_URL'] ?? 'http://127.0.0.1:7433').replace(/\/+$/, '');

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
    host: '127.0.0.1',
    proxy: {
      '/api': {
        target,
        ws: true,
        // The server answers only to its own host and origin (its guard): speak as the page
        // it serves would.
        changeOrigin: true,
        configure: (proxy) => {
          proxy.on('proxyReq', (request) => request.setHeader('origin', target));
          proxy.on('proxyReqWs', (request) => request.setHeader('origin', target));
        },
      },
    },
  },
});
