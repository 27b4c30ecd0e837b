import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const services = (globalThis as Record<string, unknown>).__onestopTestServices as
    | { pg: { stop(): Promise<void> }; temporal: { stop(): Promise<void> }; runDir: string; pgFallbackDir: string }
    | undefined;
  if (!services) return;
  await Promise.allSettled([services.temporal.stop(), services.pg.stop()]);
  rmSync(services.runDir, { recursive: true, force: true });
  rmSync(services.pgFallbackDir, { recursive: true, force: true });
}
