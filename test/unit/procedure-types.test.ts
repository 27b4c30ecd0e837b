import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// in a child process: the generator loads ES modules, which Jest's sandbox cannot
test('the definition types are the ones the JSON Schema gives (run `npm run gen:types` after changing the schema)', () => {
  const root = join(__dirname, '..', '..');
  const check = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'gen-procedure-types.ts'), '--check'], { cwd: root, encoding: 'utf8' });
  expect(check.stdout).toContain('definition types are up to date');
  expect(check.status).toBe(0);
});
