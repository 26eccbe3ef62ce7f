import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The api serves what this writes: apps/api/public (git-ignored, rebuilt by scripts/bootstrap.sh).
// `npm run build -w @surety/web` runs from apps/web, which relative paths here are taken from.
export default defineConfig({
  plugins: [preact()],
  build: { outDir: '../api/public', emptyOutDir: true, target: 'es2022' },
  server: {
    proxy: Object.fromEntries(
      ['/orders', '/products', '/admin', '/config.json'].map((path) => [path, 'http://127.0.0.1:8080']),
    ),
  },
});
