/** Reading what the forms show: the QR code inside an HTML page or a PNG, and the text of a PDF. */
import jsQR from 'jsqr';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PNG } from 'pngjs';

/** Decodes the QR code of a PNG image; its raw bytes read as UTF-8. */
export function decodeQrPng(png: Buffer): string {
  const image = PNG.sync.read(png);
  const found = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  if (!found) throw new Error('no QR code found in the image');
  return Buffer.from(found.binaryData).toString('utf8');
}

/** Decodes the QR code of a `data:image/png;base64,…` URL. */
export function decodeQrDataUrl(dataUrl: string): string {
  const match = /^data:image\/png;base64,(.+)$/.exec(dataUrl);
  if (!match) throw new Error(`not a PNG data URL: ${dataUrl.slice(0, 40)}…`);
  return decodeQrPng(Buffer.from(match[1], 'base64'));
}

/** The QR code in an HTML form (`<img class="qr-code" src="data:…">`), decoded. */
export function qrOfHtml(html: string): string {
  const match = /<img class="qr-code"[^>]*src="(data:image\/png;base64,[^"]+)"/.exec(html);
  if (!match) throw new Error('the page has no QR image');
  return decodeQrDataUrl(match[1].replace(/&#x3D;/g, '='));
}

/** The text of a PDF (every page) and its page count, read by pdf.js (pdf-parse) in a child process. */
export function pdfText(pdf: Buffer): Promise<{ text: string; pages: number }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [join(__dirname, 'pdf-text.mjs')], { maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`the PDF could not be read: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout));
    });
    child.stdin!.end(pdf);
  });
}

/** HTML text without tags and with whitespace collapsed, for asserting what a reader sees. */
export function visibleText(html: string): string {
  return html.replace(/<style[\s\S]*?<\/style>/g, ' ').replace(/<[^>]+>/g, ' ').replace(/&nbsp;/g, ' ')
    .replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
}
