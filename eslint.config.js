// typescript-eslint with type information: floating promises are bugs; workflows/ must stay
// deterministic, so Node built-ins (and anything doing I/O) are banned there.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', 'coverage/**', 'test-results/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow-sandbox code outside workflows/: notification helpers and the log interceptors.
    files: ['workflows/**/*.ts', 'notify/workflow.ts', 'worker/workflow-interceptors.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'workflow code must be deterministic: no Node built-ins (do I/O in an activity)' })),
          patterns: [{ group: ['../activities/*', '../db/*', '../oneroster/*', '../roster/*', '../api/*', 'pg', 'kysely'], allowTypeImports: true, message: 'workflows may import only @temporalio/workflow, @temporalio/common and their own modules (type imports are fine)' }],
        },
      ],
    },
  },
);
