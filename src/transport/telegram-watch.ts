import { crc16Update } from '../protocol/crc16';
import { GLO_CIPHERING, isAxdrLengthStart, readAxdrLength, SYSTEM_TITLE_LENGTH } from '../protocol/dlms';
import { diagnoseGarbage, type GarbageDiagnosis } from './garbage-diagnosis';

/** How many of the most recent non-telegram bytes are kept for a diagnosis. */
const SAMPLE_SIZE = 512;

const LF = 0x0a;
const SLASH = 0x2f;
const BANG = 0x21;
/** DB | 08 | system title | A-XDR length (1–3 bytes) | security byte: the most an encrypted frame's header needs. */
const CIPHER_HEADER_MAX = 2 + SYSTEM_TITLE_LENGTH + 3 + 1;
/** Security bytes of DLMS general-glo-ciphering: authenticated, encrypted, or both. */
const SECURITY_BYTES = [0x10, 0x20, 0x30];

enum State {
  /** Between telegrams. */
  Outside,
  /** After a header (`/` at the start of a line): text, CRC running. */
  Text,
  /** After the `!` line start: reading up to four CRC digits. */
  Crc,
  /** After `DB 08`: the header of an encrypted frame. */
  CipherHeader,
  /** The rest of an encrypted frame, passed over by its announced length. */
  CipherBody,
}

/**
 * Tells a serial transport whether telegrams arrive, so it can tell "the framing is right" from
 * "garbage", without framing the bytes a second time (the connection's reader does that): it
 * follows each text telegram from its header to its `!` line with a running CRC (a telegram with
 * a valid or absent CRC counts) and recognises the header of an encrypted frame. Nothing is held
 * but a small sample of the bytes since the last telegram, to diagnose garbage.
 */
export class TelegramWatch {
  private sample: Buffer = Buffer.alloc(0);
  private state = State.Outside;
  private atLineStart = true;
  private crc = 0;
  private crcDigits = '';
  private cipherHeader: number[] = [];
  private cipherBytesLeft = 0;

  constructor(private readonly onTelegram: () => void) {}

  push(chunk: Buffer): void {
    const joined = this.sample.length === 0 ? chunk : Buffer.concat([this.sample, chunk]);
    this.sample = joined.length > SAMPLE_SIZE ? Buffer.from(joined.subarray(joined.length - SAMPLE_SIZE)) : joined;
    let textFrom = 0; // where this chunk's part of a text telegram starts, for the CRC
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      const lineStart = this.atLineStart;
      this.atLineStart = c === LF;
      if (this.state === State.Crc) this.readCrcDigit(c);
      else if (this.state === State.CipherHeader) this.readCipherHeader(c);
      else if (this.state === State.CipherBody) this.passCipherByte();
      else if (lineStart && c === SLASH) {
        this.state = State.Text;
        this.crc = 0;
        textFrom = i;
      } else if (c === GLO_CIPHERING && this.state === State.Outside) {
        this.state = State.CipherHeader;
        this.cipherHeader = [c];
      } else if (this.state === State.Text && c >= 0x80) {
        this.state = State.Outside; // telegrams are 7-bit text
      } else if (this.state === State.Text && lineStart && c === BANG) {
        this.crc = crc16Update(this.crc, chunk, textFrom, i + 1);
        this.state = State.Crc;
        this.crcDigits = '';
      }
    }
    if (this.state === State.Text) this.crc = crc16Update(this.crc, chunk, textFrom, chunk.length);
  }

  /** What the bytes since the last telegram look like; `undefined` when there were none. */
  diagnose(dataBits: 7 | 8): GarbageDiagnosis | undefined {
    return this.sample.length === 0 ? undefined : diagnoseGarbage(this.sample, dataBits);
  }

  /** Up to four hex digits after `!`; anything else ends them. No digits at all: a DSMR 2.2/3 telegram. */
  private readCrcDigit(c: number): void {
    const digit = String.fromCharCode(c);
    if (this.crcDigits.length < 4 && /[0-9A-Fa-f]/.test(digit)) {
      this.crcDigits += digit;
      if (this.crcDigits.length < 4) return;
    }
    this.state = State.Outside;
    if (this.crcDigits === '' || parseInt(this.crcDigits, 16) === this.crc) this.sawTelegram();
  }

  /** `DB 08`, a system title starting with a three-letter manufacturer flag, an A-XDR length, a security byte. */
  private readCipherHeader(c: number): void {
    const header = this.cipherHeader;
    header.push(c);
    const at = header.length - 1;
    const lengthAt = 2 + SYSTEM_TITLE_LENGTH;
    const securityAt = lengthAt + 1 + (header[lengthAt] === 0x81 ? 1 : header[lengthAt] === 0x82 ? 2 : 0);
    const plausible =
      (at === 1 && c === SYSTEM_TITLE_LENGTH) ||
      (at >= 2 && at < 5 && isLetter(c)) ||
      (at >= 5 && at < lengthAt) ||
      (at === lengthAt && isAxdrLengthStart(c)) ||
      (at > lengthAt && at < securityAt) ||
      (at === securityAt && SECURITY_BYTES.includes(c));
    if (!plausible || header.length > CIPHER_HEADER_MAX) {
      this.state = State.Outside;
    } else if (at === securityAt) {
      const announced = readAxdrLength(Uint8Array.from(header), lengthAt, header.length);
      this.sawTelegram();
      // The length counts from the security byte on; what follows the frame starts afresh, as at a line start.
      this.cipherBytesLeft = announced === null ? 0 : announced.length - 1;
      this.state = State.CipherBody;
      this.passCipherByte(0);
    }
  }

  private passCipherByte(count = 1): void {
    this.cipherBytesLeft -= count;
    if (this.cipherBytesLeft > 0) return;
    this.state = State.Outside;
    this.atLineStart = true;
  }

  private sawTelegram(): void {
    this.state = State.Outside;
    this.sample = Buffer.alloc(0);
    this.onTelegram();
  }
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
