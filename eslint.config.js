// Lint rules, including the layer rules of DESIGN.md §2: imports point down only, only app/
// imports adapters/, entry points never import each other, and no import cycles.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const layer = (target, from, message) => ({ target, from, message });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { typescript: true, node: true } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            layer('./src/shared', './src/!(shared)/**', 'shared/ is the leaf layer'),
            layer('./src/domain', './src/!(shared|domain)/**', 'domain/ imports only shared/'),
            layer(
              './src/ports',
              './src/!(shared|domain|ports)/**',
              'ports/ are interfaces over domain/',
            ),
            layer(
              './src/core',
              './src/!(shared|domain|ports|core)/**',
              'core/ is written against ports/ only',
            ),
            layer(
              './src/operations',
              './src/!(shared|domain|ports|core|operations)/**',
              'operations/ call core/',
            ),
            layer(
              './src/adapters',
              './src/!(shared|domain|ports|adapters)/**',
              'adapters/ implement ports/',
            ),
            layer(
              './src/app',
              './src/(cli|server|mcp|client|testing)/**',
              'app/ is below the entry points',
            ),
            layer(
              './src/!(app|testing|adapters)/**',
              './src/adapters/**',
              'only app/ (and testing/) import adapters/',
            ),
            layer('./src/cli', './src/(server|mcp)/**', 'entry points never import each other'),
            layer('./src/server', './src/(cli|mcp)/**', 'entry points never import each other'),
            layer('./src/mcp', './src/(cli|server)/**', 'entry points never import each other'),
          ],
        },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts', 'src/core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'better-sqlite3', 'pg', 'kysely'],
              message: 'domain/ and core/ do no I/O: use a port',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
