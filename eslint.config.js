// Lint rules, including the layer rules of DESIGN.md §2: imports point down only, only app/ (and
// testing/) import adapters/, entry points never import each other, and domain/ and core/ do no
// I/O. The rules match import specifiers, so they need no module resolver; import cycles are
// checked by test/architecture.test.ts (see docs/decisions/0004).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const IO = ['node:*', 'better-sqlite3', 'pg', 'kysely', 'yaml'];

/**
 * Files in `dir` may not import from the listed layers. Only relative paths are matched (up to
 * four levels up), so a package path that happens to contain a layer's name
 * (`@modelcontextprotocol/sdk/server/mcp.js`) is not taken for one.
 */
const relative = (name) =>
  ['./', '../', '../../', '../../../', '../../../../'].map((up) => `${up}${name}/**`);
const layer = (dir, forbidden, message, extra = []) => ({
  files: [`src/${dir}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: forbidden.flatMap(relative), message },
          ...(extra.length > 0
            ? [{ group: extra, message: `${dir}/ does no I/O: use a port` }]
            : []),
        ],
      },
    ],
  },
});

const ABOVE_DOMAIN = [
  'ports',
  'core',
  'operations',
  'adapters',
  'app',
  'cli',
  'server',
  'mcp',
  'client',
  'testing',
];

export default tseslint.config(
  { ignores: ['dist/**', 'dist.*/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  layer('shared', ['domain', ...ABOVE_DOMAIN], 'shared/ is the leaf layer', IO),
  layer('domain', ABOVE_DOMAIN, 'domain/ imports only shared/', IO),
  layer(
    'ports',
    ABOVE_DOMAIN.filter((l) => l !== 'ports'),
    'ports/ are interfaces over domain/',
  ),
  layer(
    'core',
    ['operations', 'adapters', 'app', 'cli', 'server', 'mcp', 'client', 'testing'],
    'core/ is written against ports/ only',
    IO,
  ),
  layer(
    'operations',
    ['adapters', 'app', 'cli', 'server', 'mcp', 'client', 'testing'],
    'operations/ call core/',
  ),
  layer(
    'adapters',
    ['core', 'operations', 'app', 'cli', 'server', 'mcp', 'client', 'testing'],
    'adapters/ implement ports/',
  ),
  layer('app', ['cli', 'server', 'mcp', 'client', 'testing'], 'app/ is below the entry points'),
  layer(
    'cli',
    ['adapters', 'server', 'mcp', 'testing'],
    'entry points use app/, never adapters/ or each other',
  ),
  layer(
    'server',
    ['adapters', 'cli', 'mcp', 'testing'],
    'entry points use app/, never adapters/ or each other',
  ),
  layer(
    'mcp',
    ['adapters', 'cli', 'server', 'testing'],
    'entry points use app/, never adapters/ or each other',
  ),
  layer(
    'client',
    ['ports', 'core', 'adapters', 'app', 'cli', 'server', 'mcp', 'testing'],
    'client/ runs in the browser: it reaches the server over HTTP, and imports only types of operations/ and domain/',
    IO,
  ),
  {
    // The dashboard runs in the browser: of the server side it imports only the typed client.
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: String.raw`^(\.\./)+src/(?!client/)`,
              message: 'web/ imports only src/client/ from the server side',
            },
            { group: ['node:*'], message: 'web/ runs in the browser: no node: imports' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
