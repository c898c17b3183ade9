/**
 * The telegram corpus (test/fixtures/telegrams) as the framer, decrypt and reader tests see it: read
 * from `FIXTURES`, described by its `index.tsv`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from '../support/paths';

export type CrcVerdict = 'valid' | 'invalid' | 'n/a';

export interface CorpusFile {
  /** Path relative to FIXTURES, as in index.tsv. */
  file: string;
  bytes: Buffer;
  /** index.tsv `crc_valid`, reduced to its verdict. */
  crc: CrcVerdict;
  /** The note's class tag, e.g. `real`, `negative/fragment`, `non-DSMR-binary`. */
  kind: string;
  encrypted: boolean;
}

export interface EncryptedFixture {
  file: string;
  frame: Buffer;
  plaintext: Buffer;
  key: string;
  authenticationKey: string;
  /** The key file says the GCM tag verifies with AAD = security byte ‖ AK (else with an empty AAD). */
  tagUsesAad: boolean;
}

export function loadCorpus(): CorpusFile[] {
  const lines = fs
    .readFileSync(path.join(FIXTURES, 'index.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.trim());
  const header = lines[0].split('\t');
  const column = (name: string): number => header.indexOf(name);
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    const file = cells[column('file')];
    const verdict = cells[column('crc_valid')];
    return {
      file,
      bytes: fs.readFileSync(path.join(FIXTURES, file)),
      crc: verdict.startsWith('valid') ? 'valid' : verdict.startsWith('INVALID') ? 'invalid' : 'n/a',
      kind: /^\[class: ([^\]]*)\]/.exec(cells[column('notes')])?.[1] ?? '',
      encrypted: cells[column('encrypted')] === 'yes',
    };
  });
}

export function loadEncryptedFixtures(): EncryptedFixture[] {
  return loadCorpus()
    .filter((entry) => entry.encrypted)
    .map((entry) => {
      const base = path.join(FIXTURES, entry.file.replace(/\.bin$/, ''));
      const fields = readKeyFile(`${base}.key.txt`);
      const field = (prefix: string): string => {
        const name = Object.keys(fields).find((key) => key.startsWith(prefix));
        if (!name) throw new Error(`${entry.file}: no ${prefix} in its key file`);
        return fields[name];
      };
      return {
        file: entry.file,
        frame: entry.bytes,
        plaintext: fs.readFileSync(`${base}.plaintext.txt`),
        key: field('encryption_key'),
        authenticationKey: field('authentication_key'),
        tagUsesAad: Object.keys(fields).some((name) => name.endsWith('tag_verifies_with_aad') && fields[name] === 'True'),
      };
    });
}

/** Every .txt and .bin of the corpus (telegrams, fragments, encrypted frames, their key and plaintext files, HDLC binaries). */
export function corpusStreamParts(): Buffer[] {
  const files: string[] = [];
  for (const dir of fs.readdirSync(FIXTURES, { withFileTypes: true })) {
    if (!dir.isDirectory() || dir.name === 'expected') continue;
    for (const name of fs.readdirSync(path.join(FIXTURES, dir.name)).sort()) {
      if (/\.(txt|bin)$/.test(name)) files.push(path.join(FIXTURES, dir.name, name));
    }
  }
  // Each file starts a line, as it does when read on its own: binaries that do not end in a
  // line break get one (an LF-terminated file needs nothing).
  return files.map((file) => {
    const bytes = fs.readFileSync(file);
    return bytes[bytes.length - 1] === 0x0a ? bytes : Buffer.concat([bytes, Buffer.from('\r\n')]);
  });
}

/** `name=value` lines; names keep their parenthesised remarks (`encryption_key(EK)`). */
function readKeyFile(file: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return fields;
}
