// Prints {"text","pages"} of the PDF read from stdin. Run as a child process: pdf.js loads its worker
// with a dynamic import, which jest's module sandbox does not allow.
import { Buffer } from 'node:buffer';
import { PDFParse } from 'pdf-parse';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const parser = new PDFParse({ data: new Uint8Array(Buffer.concat(chunks)) });
try {
  const result = await parser.getText();
  process.stdout.write(JSON.stringify({ text: result.text, pages: result.total }));
} finally {
  await parser.destroy();
}
