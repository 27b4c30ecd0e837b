import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInProvince } from '../../stores/postal';
import { ConfigError, loadConfig } from '../../lib/config';
import { inspectMedia } from '../../lib/media';
import { createFileStorage, sha256Hex } from '../../lib/storage';

const limits = { maxBytes: 1024, mediaTypes: ['application/pdf', 'image/jpeg', 'image/png'] };
const pdf = Buffer.from('%PDF-1.7\n%%EOF\n');
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);

describe('inspectMedia', () => {
  test('a PDF named .pdf, declared or not, passes with its detected type', () => {
    expect(inspectMedia(pdf, { fileName: 'don.PDF' }, limits)).toEqual({ mediaType: 'application/pdf', problems: [] });
    expect(inspectMedia(jpeg, { fileName: 'anh.jpg', mediaType: 'image/jpeg' }, limits)).toEqual({ mediaType: 'image/jpeg', problems: [] });
  });

  test('each problem is named by the field at fault', () => {
    expect(inspectMedia(jpeg, { fileName: 'anh.png', mediaType: 'application/pdf' }, limits).problems).toEqual([
      { field: 'mediaType', message: 'says application/pdf but the content is image/jpeg' },
      { field: 'fileName', message: 'ends in .png but the content is image/jpeg (.jpg, .jpeg)' },
    ]);
    expect(inspectMedia(Buffer.concat([pdf, Buffer.alloc(2000)]), { fileName: 'lon.pdf' }, limits).problems)
      .toEqual([{ field: 'contentBase64', message: 'is 2 KB (2015 bytes); the limit is 1 KB' }]);
    expect(inspectMedia(Buffer.alloc(0), { fileName: 'rong.pdf' }, limits).problems).toEqual([{ field: 'contentBase64', message: 'is empty' }]);
  });

  test('a recognised type that is not accepted is refused, saying what it is', () => {
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1');
    expect(inspectMedia(gif, { fileName: 'a.gif' }, limits).problems)
      .toEqual([{ field: 'contentBase64', message: 'is image/gif; accepted: application/pdf, image/jpeg, image/png' }]);
  });
});

test('an address is inside the province when it names it, whatever the accents, case or punctuation', () => {
  expect(isInProvince('12 Trần Hưng Đạo, P. Mỹ Bình, TP. Long Xuyên, tỉnh An Giang', 'An Giang')).toBe(true);
  expect(isInProvince('ấp Mỹ Thới, xã Mỹ Hòa Hưng, AN GIANG', 'An Giang')).toBe(true);
  expect(isInProvince('số 5, phường 1, thành phố Vị Thanh, tỉnh Hậu Giang', 'An Giang')).toBe(false);
  expect(isInProvince('Quận 1, Thành phố Hồ Chí Minh', 'An Giang')).toBe(false);
  expect(isInProvince('Phường Đống Đa, Hà Nội', 'Hà Nội')).toBe(true);
});

describe('the file store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onestop-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('keeps bytes under their SHA-256, once, and gives them back until deleted', async () => {
    const store = createFileStorage(dir);
    const stored = await store.put(pdf);
    expect(stored).toEqual({ key: sha256Hex(pdf), sha256: sha256Hex(pdf), size: pdf.length });
    expect(await store.put(Buffer.from(pdf))).toEqual(stored);
    expect((await store.get(stored.key))?.equals(pdf)).toBe(true);
    await store.delete(stored.key);
    expect(await store.get(stored.key)).toBeUndefined();
  });

  test('refuses a key that is not a hash (no path tricks)', async () => {
    await expect(createFileStorage(dir).get('../../etc/passwd')).rejects.toThrow('not a storage key');
  });
});

test('upload limits and the postal rules come from the configuration, with defaults', () => {
  const config = loadConfig({});
  expect(config.documents).toEqual({ maxBytes: 10 * 1024 * 1024, mediaTypes: ['application/pdf', 'image/jpeg', 'image/png', 'image/tiff'] });
  expect(config.postal).toEqual({ provinceName: 'An Giang', dueMs: 24 * 3600_000, callbackSecret: undefined });
  const custom = loadConfig({ DOCUMENT_MAX_MB: '2.5', DOCUMENT_MEDIA_TYPES: 'application/pdf,image/webp', PROVINCE_NAME: 'Cần Thơ',
    POSTAL_DUE_HOURS: '48' });
  expect(custom.documents).toEqual({ maxBytes: 2.5 * 1024 * 1024, mediaTypes: ['application/pdf', 'image/webp'] });
  expect(custom.postal).toMatchObject({ provinceName: 'Cần Thơ', dueMs: 48 * 3600_000 });
  expect(() => loadConfig({ DOCUMENT_MEDIA_TYPES: 'pdf, png', DOCUMENT_MAX_MB: '0', POSTAL_CALLBACK_SECRET: 'short' })).toThrow(ConfigError);
  try {
    loadConfig({ DOCUMENT_MEDIA_TYPES: 'pdf, png', DOCUMENT_MAX_MB: '0', POSTAL_CALLBACK_SECRET: 'short' });
  } catch (err) {
    const problems = (err as ConfigError).problems.join('\n');
    for (const name of ['DOCUMENT_MEDIA_TYPES="pdf, png"', 'DOCUMENT_MAX_MB="0"', 'POSTAL_CALLBACK_SECRET="short"']) expect(problems).toContain(name);
  }
});
