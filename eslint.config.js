// Typed lint for the whole workspace (style.md rule 15).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/**
 * The harness's layers (README, "Layout"): each folder may import only the folders below it.
 * domain ← adapters ← services ← operations ← transports ← main; agent/ and cli/ are the other
 * two processes and stay off the daemon's services.
 */
const HARNESS_LAYERS = {
  domain: [],
  adapters: ['domain'],
  services: ['domain', 'adapters'],
  operations: ['domain', 'adapters', 'services'],
  transports: ['domain', 'adapters', 'services', 'operations'],
  main: ['domain', 'adapters', 'services', 'operations', 'transports'],
  agent: ['domain', 'adapters'],
  cli: ['domain', 'adapters', 'main'],
}

function layerRules() {
  const all = Object.keys(HARNESS_LAYERS)
  return Object.entries(HARNESS_LAYERS).map(([layer, allowed]) => {
    const forbidden = all.filter((l) => l !== layer && !allowed.includes(l))
    return {
      files: [`apps/harness/src/${layer}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `^(\\.\\./)+(${forbidden.join('|')})/`,
                message: `${layer}/ may import only ${allowed.join(', ') || 'nothing else of the harness'} (see the layer table in the README)`,
              },
              { regex: '^@hive/harness', message: 'the harness does not import itself by package name' },
            ],
          },
        ],
      },
    }
  })
}

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/generated/**',
      'apps/web/.next/**',
      'apps/web/out/**',
      'apps/harness/dist/**',
      'bench/data/**',
      '.hive/**',
      '.tmp/**',
      'packages/db/tools/**',
      'packages/db/prisma.config.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'apps/harness/bin/*.mjs', 'apps/harness/test/support/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
      // process.env is read in exactly one place per app (env.ts), so a typo fails at start.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through env.ts' }],
      // zod's `z` export is a namespace the bundler cannot shake: it ships every locale (~550 KB
      // more for each bin to parse at start). `import * as z` keeps only what is used.
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'][importKind='value'] > ImportSpecifier[imported.name='z'][importKind='value']",
          message: "import * as z from 'zod' (the `z` export cannot be tree-shaken)",
        },
      ],
    },
  },
  ...layerRules(),
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
