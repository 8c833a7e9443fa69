import { defineConfig } from 'vitest/config';

/**
 * Three tiers (CONTRIBUTING.md): `unit` — pure tests next to their code, seconds, no root, no tools beyond Node;
 * `integration` — test/: real servers, GnuPG, compressors, loop devices, network namespaces, polkit, Chromium (root);
 * `vm` — test/image-*: building MaculaOS with mmdebstrap and booting it under QEMU (root, minutes).
 * `npm test` runs all three; `npm run test:unit`, `test:integration`, `test:vm` run one.
 */
const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  // Integration tests use real servers, GnuPG homes and temp dirs; keep them in separate processes.
  pool: 'forks',
  setupFiles: ['test/setup-env.ts'],
} as const;

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'unit', include: ['shared/**/*.test.ts', 'electron/**/*.test.ts', 'image-build/**/*.test.ts', 'renderer/**/*.test.ts'] } },
      { test: { ...shared, name: 'integration', include: ['test/**/*.test.ts'], exclude: ['test/image-*.test.ts'] } },
      { test: { ...shared, name: 'vm', include: ['test/image-*.test.ts'] } },
    ],
  },
});
