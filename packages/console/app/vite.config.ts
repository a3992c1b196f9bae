// Builds the console's front end into dist/app/, served by registerConsole at /console/.
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [preact({ prerender: { enabled: false } })],
  build: {
    outDir: fileURLToPath(new URL('../dist/app/', import.meta.url)),
    emptyOutDir: true,
    // No inline assets: the Content-Security-Policy allows 'self' only (data: images aside).
    assetsInlineLimit: 0,
    // The CSP forbids inline scripts: no modulepreload polyfill injected into index.html.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
  },
});
