/** Files and a procedure for the document and return-of-results tests. */
import type { Knex } from '../../lib/db';
import { publishProcedure } from './procedures';

export const pdf = (text: string) => Buffer.from(`%PDF-1.4\n% ${text}\n%%EOF\n`);
export const png = () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('0000IHDR fake image')]);
export const b64 = (bytes: Buffer) => bytes.toString('base64');
export const upload = (code: string, fileName: string, bytes: Buffer, mediaType?: string) =>
  ({ code, fileName, contentBase64: b64(bytes), ...(mediaType ? { mediaType } : {}) });

/** A procedure with a digitize step, a specialist's review (which may ask for a supplement) and every return channel. */
export function documentsProcedure(code: string) {
  return {
    code, version: 1, name: 'Thủ tục thử số hóa và trả kết quả', agency: 'UBND-XA-MY-BINH', serviceLevel: 'full-online',
    deadline: { workingDays: 5 }, fees: [],
    documents: [
      { code: 'TO-KHAI', name: 'Tờ khai', required: true },
      { code: 'GIAY-TO', name: 'Giấy tờ tùy thân', required: true },
      { code: 'UY-QUYEN', name: 'Văn bản ủy quyền', required: false },
    ],
    returnChannels: ['electronic', 'counter', 'postal'],
    steps: [
      { id: 'receive', kind: 'reception', assignee: { unit: 'MOT-CUA', role: 'one-stop-officer' }, next: 'scan' },
      { id: 'scan', kind: 'digitize', documents: 'all', next: 'review' },
      { id: 'review', kind: 'task', name: 'Thẩm định', assignee: { unit: 'TU-PHAP', role: 'specialist' },
        outcomes: { approve: {}, missing: { supplement: true } }, next: 'give' },
      { id: 'give', kind: 'return' },
    ],
  };
}

export async function publishDocumentsProcedure(db: Knex, code: string) {
  await publishProcedure(db, documentsProcedure(code));
}

/** GET with the raw bytes of the answer. */
export async function download(baseUrl: string, path: string, token?: string) {
  const res = await fetch(`${baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'),
    bytes: Buffer.from(await res.arrayBuffer()) };
}
