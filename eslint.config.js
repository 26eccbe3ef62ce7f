import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // load/ holds k6 scripts, which run in k6's own JavaScript runtime, not in Node.
  {
    ignores: [
      'node_modules/',
      '.local/',
      '.tools/',
      'reports/',
      'dist/',
      '**/migrations/',
      'apps/api/public/',
      'load/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Fastify handlers and test probes are async by contract, with or without an await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read the environment in a config.ts only.' },
      ],
    },
  },
  {
    files: [
      '**/config.ts',
      'apps/*/src/main.ts',
      'apps/cli/src/**/*.ts',
      'test/**/*.ts',
      'packages/config/src/**/*.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
