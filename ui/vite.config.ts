import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The console runs from files embedded in the binary: no dev server, no remote content.
export default defineConfig({
  plugins: [react()],
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'safari15', sourcemap: false },
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
});
