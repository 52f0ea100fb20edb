/**
 * The GSM 03.38 default alphabet and its extension table. SMPP peers take GSM-7 text as one
 * unpacked septet per octet (data_coding 0); the SMSC packs it for the air interface, so
 * segment limits are still counted in septets.
 */

/** Septet → character for the basic table; index 0x1B is the escape to the extension table. */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension characters, each sent as ESC + the septet here, so each costs two septets. */
const EXTENSION: ReadonlyArray<readonly [string, number]> = [
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
];

/** The escape septet that announces an extension character. */
export const GSM7_ESCAPE = 0x1b;

const basicIndex = new Map<string, number>();
for (let i = 0; i < BASIC.length; i++) {
  if (i !== GSM7_ESCAPE) basicIndex.set(BASIC.charAt(i), i);
}
const extensionIndex = new Map<string, number>(EXTENSION);

/**
 * Septets needed for one UTF-16 code unit: 1 (basic), 2 (extension) or 0 when the character is
 * not in GSM-7 at all (the message must then go as UCS-2).
 */
export function gsm7Septets(char: string): 0 | 1 | 2 {
  if (basicIndex.has(char)) return 1;
  if (extensionIndex.has(char)) return 2;
  return 0;
}

/** Encodes GSM-7-safe text to unpacked septets (caller checked with {@link gsm7Septets}). */
export function encodeGsm7(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    const basic = basicIndex.get(char);
    if (basic !== undefined) {
      out.push(basic);
      continue;
    }
    const ext = extensionIndex.get(char);
    // Unknown characters cannot reach here through splitSms; a space keeps lengths honest.
    if (ext === undefined) out.push(0x20);
    else out.push(GSM7_ESCAPE, ext);
  }
  return Buffer.from(out);
}

/** Decodes unpacked septets back to text (used by tests and the receipt parser). */
export function decodeGsm7(septets: Uint8Array): string {
  let text = '';
  for (let i = 0; i < septets.length; i++) {
    const septet = septets[i] ?? 0x20;
    if (septet === GSM7_ESCAPE && i + 1 < septets.length) {
      const next = septets[++i];
      const found = EXTENSION.find(([, code]) => code === next);
      text += found ? found[0] : ' ';
      continue;
    }
    text += BASIC.charAt(septet & 0x7f);
  }
  return text;
}
