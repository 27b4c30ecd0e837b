import { filetypeinfo } from 'magic-bytes.js';

/** What an uploaded file may be: the largest size and the media types accepted (with their file extensions). */
export interface DocumentLimits {
  maxBytes: number;
  mediaTypes: string[];
}

/** File extensions each media type may carry; a type not listed here accepts any extension. */
const EXTENSIONS: Record<string, string[]> = {
  'application/pdf': ['pdf'],
  'image/jpeg': ['jpg', 'jpeg'],
  'image/png': ['png'],
  'image/tiff': ['tif', 'tiff'],
  'image/webp': ['webp'],
  'application/zip': ['zip'],
};

export interface MediaProblem {
  /** the field of the document at fault */
  field: 'contentBase64' | 'mediaType' | 'fileName';
  message: string;
}

const megabytes = (n: number) => (n < 1024 * 1024 ? `${Math.round(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

/**
 * Detects the media type from the bytes (magic numbers) and checks it against the limits, the declared
 * media type and the file name's extension. Returns the detected type and every problem found.
 */
export function inspectMedia(bytes: Buffer, declared: { fileName: string; mediaType?: string }, limits: DocumentLimits):
  { mediaType?: string; problems: MediaProblem[] } {
  const problems: MediaProblem[] = [];
  if (bytes.length === 0) problems.push({ field: 'contentBase64', message: 'is empty' });
  if (bytes.length > limits.maxBytes) {
    problems.push({ field: 'contentBase64', message: `is ${megabytes(bytes.length)} (${bytes.length} bytes); the limit is ${megabytes(limits.maxBytes)}` });
  }
  const detected = filetypeinfo(bytes.subarray(0, 4096)).map((t) => t.mime).filter((m): m is string => Boolean(m));
  const mediaType = detected.find((m) => limits.mediaTypes.includes(m));
  if (bytes.length && !mediaType) {
    problems.push({ field: 'contentBase64', message: `${detected.length ? `is ${detected[0]}` : 'is of a type that cannot be recognised'}; ` +
      `accepted: ${limits.mediaTypes.join(', ')}` });
  }
  if (mediaType && declared.mediaType && declared.mediaType.toLowerCase() !== mediaType) {
    problems.push({ field: 'mediaType', message: `says ${declared.mediaType} but the content is ${mediaType}` });
  }
  const ext = /\.([A-Za-z0-9]+)$/.exec(declared.fileName)?.[1]?.toLowerCase();
  const allowed = mediaType ? EXTENSIONS[mediaType] : undefined;
  if (allowed && (!ext || !allowed.includes(ext))) {
    problems.push({ field: 'fileName', message: `${ext ? `ends in .${ext}` : 'has no extension'} but the content is ${mediaType} (.${allowed.join(', .')})` });
  }
  return { mediaType, problems };
}
