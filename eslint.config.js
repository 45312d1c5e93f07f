// ESLint over all TypeScript: the promise rules that catch a forgotten `await` (fatal in workflow code),
// type-only imports, and the workflow sandbox's rules (no Node built-ins, activities by type only).
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Bundled into Temporal's deterministic sandbox (temporalio/samples-typescript does the same).
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({
          name, message: 'Node built-ins are not available in workflow code.',
        })),
        patterns: [{ group: ['**/activities/**', '../activities'], allowTypeImports: true, message: 'Workflows import activities by type only (proxyActivities).' }],
      }],
    },
  },
  {
    // fluent-ffmpeg is archived upstream (README "Dependencies"): it stays behind the one decode module.
    files: ['**/*.ts'],
    ignores: ['**/decode-audio.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'fluent-ffmpeg', message: 'Only decode-audio.ts runs ffmpeg (README "Dependencies").' }] }],
    },
  },
);
