// GPT-2/CLIP byte-level mapping: every UTF-8 byte <-> one printable character (open_clip bytes_to_unicode).

/** byte value -> the character standing for it; index = byte. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  // Bytes that are not printable are shifted past 255, in byte order, like bytes_to_unicode.
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + n++);
  }
  return table;
}

/**
 * The 256 byte tokens in vocabulary order, i.e. the insertion order of bytes_to_unicode's dict:
 * the printable bytes ascending, then the shifted ones ascending.
 */
export function byteTokensInVocabOrder(): string[] {
  const order: number[] = [];
  for (let b = 0; b < 256; b++) if (BYTE_TO_CHAR[b]!.charCodeAt(0) === b) order.push(b);
  for (let b = 0; b < 256; b++) if (BYTE_TO_CHAR[b]!.charCodeAt(0) !== b) order.push(b);
  return order.map((b) => BYTE_TO_CHAR[b]!);
}

const utf8 = new TextEncoder();

/** UTF-8 encode `text`, then map each byte to its stand-in character. */
export function toByteChars(text: string): string {
  let out = "";
  for (const b of utf8.encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/** Inverse of toByteChars for a string of stand-in characters (unknown characters are skipped). */
export function fromByteChars(chars: string): Uint8Array {
  const bytes: number[] = [];
  for (const c of chars) {
    const b = CHAR_TO_BYTE.get(c);
    if (b !== undefined) bytes.push(b);
  }
  return Uint8Array.from(bytes);
}
