/**
 * What the QR codes on receipts, forms and results carry, and their images.
 *
 * Format (version 1): one compact JSON object, keys always in this order, absent keys left out:
 * `{"v":1,"system","document","dossierCode","procedureCode","applicantId","issuedAt","appointmentAt"?,"resultCode"?}`.
 * JSON because any phone scanner shows it readably and any program parses it without a bespoke
 * grammar; `v` lets a later format be told apart. Times are ISO-8601 instants with offset.
 */
import QRCode from 'qrcode';

export const QR_FORMAT_VERSION = 1;

export interface QrPayload {
  v: typeof QR_FORMAT_VERSION;
  /** the information system's name (config `SYSTEM_NAME`) */
  system: string;
  /** the document's Vietnamese name, e.g. "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" */
  document: string;
  dossierCode: string;
  /** the national procedure code (mã TTHC) */
  procedureCode: string;
  /** the applicant's identity number (or the organization's code) */
  applicantId: string;
  issuedAt: string;
  /** on the receipt (form 01) and the apology (form 04): the date the result is due */
  appointmentAt?: string;
  /** on results: `<dossier code>-KQ<n>` */
  resultCode?: string;
}

const KEY_ORDER: (keyof QrPayload)[] = ['v', 'system', 'document', 'dossierCode', 'procedureCode', 'applicantId', 'issuedAt',
  'appointmentAt', 'resultCode'];

/** The text a QR code carries for a payload. */
export function qrText(payload: Omit<QrPayload, 'v'>): string {
  const full: Record<string, unknown> = { v: QR_FORMAT_VERSION, ...payload };
  const ordered: Record<string, unknown> = {};
  for (const key of KEY_ORDER) if (full[key] !== undefined && full[key] !== null) ordered[key] = full[key];
  return JSON.stringify(ordered);
}

/** Reads a QR text back; throws when it is not a version-1 payload with every required key. */
export function parseQrText(text: string): QrPayload {
  const value = JSON.parse(text) as Partial<QrPayload>;
  const missing = (['system', 'document', 'dossierCode', 'procedureCode', 'applicantId', 'issuedAt'] as const)
    .filter((k) => typeof value[k] !== 'string' || !value[k]);
  if (value.v !== QR_FORMAT_VERSION || missing.length) {
    throw new Error(`not a version ${QR_FORMAT_VERSION} QR payload${missing.length ? `: missing ${missing.join(', ')}` : ''}`);
  }
  return value as QrPayload;
}

const IMAGE_OPTIONS = { errorCorrectionLevel: 'M', margin: 2, scale: 4 } as const;

/** The QR code as a PNG image. */
export function qrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { ...IMAGE_OPTIONS, type: 'png' });
}

/** The QR code as a `data:image/png;base64,…` URL, for HTML `<img>` and PDF images. */
export function qrDataUrl(text: string): Promise<string> {
  return QRCode.toDataURL(text, { ...IMAGE_OPTIONS, type: 'image/png' });
}

export interface ResultQrInput {
  systemName: string;
  dossierCode: string;
  procedureCode: string;
  applicantId: string;
  /** the result document's name, e.g. "Giấy khai sinh" */
  documentName: string;
  /** `<dossier code>-KQ<n>` */
  resultCode: string;
  /** when the result was signed or issued (ISO instant) */
  issuedAt: string;
}

/** The QR code of a result document: its text, a PNG and a data URL, ready to stamp on the result. */
export async function resultQr(input: ResultQrInput): Promise<{ text: string; png: Buffer; dataUrl: string }> {
  const text = qrText({
    system: input.systemName, document: input.documentName, dossierCode: input.dossierCode, procedureCode: input.procedureCode,
    applicantId: input.applicantId, issuedAt: input.issuedAt, resultCode: input.resultCode,
  });
  const [png, dataUrl] = await Promise.all([qrPng(text), qrDataUrl(text)]);
  return { text, png, dataUrl };
}
