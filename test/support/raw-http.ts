/**
 * A client that sends a request exactly as written: the path byte for byte (characters U+0080–U+00FF go
 * out as single bytes, so broken UTF-8 reaches the server), any body bytes, any headers. For the input
 * boundary's tests, where `fetch` would repair what they mean to send broken.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** the body parsed as JSON, or undefined when it is not JSON */
  body: any;
}

export interface RawRequest {
  body?: string | Buffer;
  headers?: Record<string, string>;
  token?: string;
}

export function rawClient(baseUrl: string, { maxSockets = 8 }: { maxSockets?: number } = {}) {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });

  function send(method: string, path: string, { body, headers = {}, token }: RawRequest = {}): Promise<RawAnswer> {
    const all: Record<string, string | number> = { ...headers };
    if (token) all.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      all['content-length'] = Buffer.byteLength(body);
      if (!Object.keys(all).some((h) => h.toLowerCase() === 'content-type')) all['content-type'] = 'application/json';
    }
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = request({ host: hostname, port, method, path, agent, headers: all }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
      });
      // a server that answers before reading a large body may close the socket under the upload: the answer still counts
      req.on('error', (err) => { if (!answered) reject(err); });
      req.end(body);
    });
  }

  return {
    send,
    get: (path: string, token?: string) => send('GET', path, { token }),
    post: (path: string, body: unknown, token?: string, headers?: Record<string, string>) =>
      send('POST', path, { body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), token, headers }),
    close: () => agent.destroy(),
  };
}

export type RawClient = ReturnType<typeof rawClient>;
