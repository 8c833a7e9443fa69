import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['shared/**/*.test.ts', 'electron/**/*.test.ts', 'test/**/*.test.ts', 'image-build/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests use real servers, GnuPG homes and temp dirs; keep them in separate processes.
    pool: 'forks',
    setupFiles: ['test/setup-env.ts'],
  },
});
