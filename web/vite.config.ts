// The Pivot web app: built to web/dist, served by `pivot start` at `/` (src/api/web-app.ts). During development,
// `npx vite web` serves it with hot reload and proxies the API to a running server on PIVOT_HTTP_PORT (8000).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = `http://127.0.0.1:${process.env.PIVOT_HTTP_PORT ?? 8000}`;

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/v2': { target: api, ws: true } } },
});
