// One lint config for the whole monorepo. Type-aware rules are left out on purpose:
// `tsc` already runs in CI, and type-aware linting would double its cost on 2-core machines.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/utils', '**/utils/*', '**/common', '**/misc'],
              message: 'Name folders after what they hold.',
            },
          ],
        },
      ],
    },
  },
  {
    // Core must stay driver-free: adapters live in their own packages.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['better-sqlite3', 'pg', 'ioredis', 'fastify', 'nats'],
          patterns: ['@tandem/sqlite', '@tandem/http', '@tandem/cli'],
        },
      ],
    },
  },
);
