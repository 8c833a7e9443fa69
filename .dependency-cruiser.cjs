/**
 * The layering of ../shared/ARCHITECTURE.md, enforced: each folder is a runtime and may import only what runs there.
 * `npm run lint` (and so `npm test`) fails on any violation or import cycle.
 */
// Tests and build configuration run in Node under Vitest or Vite, whatever folder they sit in.
const TESTS_AND_CONFIG = ['\\.test\\.tsx?$', '^renderer/vite\\.config\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Import cycles make layering and start-up order fragile.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-is-platform-free',
      severity: 'error',
      comment: 'shared/ runs anywhere: no Node built-ins, no Electron, no DOM libraries, nothing outside shared/ but pure npm libraries.',
      from: { path: '^shared/', pathNot: TESTS_AND_CONFIG },
      to: {
        pathNot: ['^shared/', '^node_modules/zod/', '^node_modules/yaml/'],
      },
    },
    {
      name: 'engine-never-imports-electron',
      severity: 'error',
      comment: 'The engine runs in plain Node (CLI, writer process, tests); Electron lives in electron/main and electron/preload.',
      from: { path: '^electron/(engine|cli)/' },
      to: { path: ['(^|/)node_modules/electron/', '^electron/(main|preload)/', '^renderer/'] },
    },
    {
      name: 'engine-does-not-know-the-cli',
      severity: 'error',
      from: { path: '^electron/engine/' },
      to: { path: '^electron/cli/' },
    },
    {
      name: 'renderer-imports-only-shared',
      severity: 'error',
      comment: 'The renderer reaches the engine only through the typed bridge; it may import shared/ and browser libraries.',
      from: { path: '^renderer/', pathNot: TESTS_AND_CONFIG },
      to: {
        pathNot: ['^renderer/', '^shared/', '^node_modules/(react|react-dom|scheduler|zod|yaml)/'],
      },
    },
    {
      name: 'renderer-no-node-builtins',
      severity: 'error',
      from: { path: '^renderer/', pathNot: TESTS_AND_CONFIG },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'shared-no-node-builtins',
      severity: 'error',
      from: { path: '^shared/', pathNot: TESTS_AND_CONFIG },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'node-agent-runs-alone',
      severity: 'error',
      comment:
        'The node agent (image-build/agent) is bundled into one file for the OS: shared/, plain-Node engine modules and npm libraries only; never the desktop (CLI, Electron, web shell, renderer) or its own test support.',
      from: { path: '^image-build/agent/src/' },
      to: { path: ['(^|/)node_modules/electron/', '^electron/(cli|main|preload|web)/', '^renderer/', '^image-build/agent/testing/'] },
    },
    {
      name: 'production-code-does-not-import-tests',
      severity: 'error',
      from: { path: '^(shared|electron|renderer|image-build)/', pathNot: '\\.test\\.ts$' },
      to: { path: ['^test/', '\\.test\\.ts$', '^bench/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^node_modules/'] },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.d.ts'] },
  },
};
