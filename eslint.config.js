// Lint: TypeScript hygiene plus the Electron import bans of STYLE.md (only main/preload touch `electron`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const electronOnly = {
  paths: [{ name: 'electron', message: 'Only electron/main and electron/preload may import electron.' }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', '.cache/**', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['shared/**', 'electron/engine/**', 'electron/cli/**', 'renderer/**', 'image-build/**'],
    rules: { 'no-restricted-imports': ['error', electronOnly] },
  },
  {
    files: ['electron/engine/**', 'shared/**'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-console': 'error' },
  },
);
