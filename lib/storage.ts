import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** What the store answers for bytes it keeps. */
export interface StoredObject {
  /** the key to get it back by: the SHA-256 of the bytes, in hex */
  key: string;
  sha256: string;
  size: number;
}

/**
 * Where documents and results are kept. Content-addressed: the key is the SHA-256 of the bytes, so
 * putting the same bytes twice stores them once and a retried put has no second effect. The
 * filesystem store is the embedded default; a cloud (S3-compatible) store implements the same.
 */
export interface DocumentStorage {
  put(bytes: Buffer): Promise<StoredObject>;
  /** The bytes under `key`, or undefined when there are none. */
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
}

export const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const KEY = /^[0-9a-f]{64}$/;

/** Keeps each object in `dir/ab/cd/<sha256>`; writes go to a temporary file first, then are renamed into place. */
export function createFileStorage(dir: string): DocumentStorage {
  const pathOf = (key: string) => {
    if (!KEY.test(key)) throw new Error(`not a storage key: ${JSON.stringify(key)}`);
    return join(dir, key.slice(0, 2), key.slice(2, 4), key);
  };
  return {
    async put(bytes) {
      const key = sha256Hex(bytes);
      const file = pathOf(key);
      const existing = await stat(file).catch(() => undefined);
      if (existing?.size !== bytes.length) {
        await mkdir(dirname(file), { recursive: true });
        const tmp = `${file}.${randomUUID()}.tmp`;
        await writeFile(tmp, bytes, { mode: 0o600 });
        await rename(tmp, file);
      }
      return { key, sha256: key, size: bytes.length };
    },
    async get(key) {
      try {
        return await readFile(pathOf(key));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
