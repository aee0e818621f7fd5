// Lint: typescript-eslint recommended (type-aware off for speed), plus the project's own rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', '.stack/**', '.tmp/**', 'schemas/generated/**', 'dashboard/app/dist/**', 'benchmarks/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', AbortController: 'readonly', fetch: 'readonly', performance: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // Processor cores are deterministic: time is an input, never read from the clock.
    files: ['processors/**/*.ts'],
    ignores: ['processors/**/*.test.ts', 'processors/**/adapter.ts', 'processors/runtime/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Processor cores take event time as input.' }, { object: 'Math', property: 'random', message: 'Processor cores are deterministic.' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Processor cores take event time as input.' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // CLI commands and benchmarks print to the terminal.
    files: ['cli/**/*.ts', 'benchmarks/**/*.ts', 'compose/**/*.ts', 'compose/**/*.js', 'schemas/codegen.ts', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
