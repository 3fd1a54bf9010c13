// Typed lint for the whole workspace (style.md rule 15).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/generated/**',
      'apps/web/.next/**',
      'apps/web/out/**',
      'bench/data/**',
      '.hive/**',
      'packages/db/tools/**',
      'packages/db/prisma.config.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'apps/harness/bin/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
      // process.env is read in exactly one place per app (env.ts), so a typo fails at start.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through env.ts' }],
    },
  },
  {
    files: ['**/*.test.ts', 'apps/harness/test/**', 'bench/**', 'scripts/**', '**/*.mjs', '*.config.ts', 'apps/web/next.config.ts', 'packages/testkit/**', 'e2e/**'],
    rules: { 'no-restricted-properties': 'off', 'no-console': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
  },
)
