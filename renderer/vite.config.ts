import { defineConfig } from 'vite';

// The renderer is a static bundle: loaded from file:// by Electron and from 127.0.0.1 by the browser shell.
export default defineConfig({
  root: 'renderer',
  base: './',
  build: { outDir: '../dist/renderer', emptyOutDir: true },
});
