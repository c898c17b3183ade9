/**
 * Golden output of the parser: JSON of every parse result for the telegram corpus, simulated
 * streams and seeded mutations of both, one line per input, written to a folder. Run it before
 * and after a parser change and compare the folders (`diff -r`): a refactoring must not change
 * one byte. Needs `npm run build` first.
 *
 *   node scripts/golden-output.js /tmp/golden-before
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseTelegram } = require('../dist/src/protocol/parser');
const { P1Reader } = require('../dist/src/protocol/reader');
const { SimulatedMeter } = require('../dist/src/transport/simulated-meter');
const { SeededRandom } = require('../dist/test/protocol/seeded-random');

const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures', 'telegrams');
const ZONES = [undefined, 'Europe/Stockholm', 'America/New_York', 'Not/AZone'];
const MUTATIONS_PER_TEXT = 40;
/** Characters the mutations insert: the ones the parser treats specially. */
const SPECIAL = ['(', ')', '*', '\n', '\r\n', '!', '/', ':', '.', '-', '255', '0', '9', ' ', 'é'];

function main() {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node scripts/golden-output.js <output folder>');
  fs.mkdirSync(out, { recursive: true });
  const texts = [];
  for (const file of corpusFiles(FIXTURES)) {
    const text = fs.readFileSync(path.join(FIXTURES, file), 'latin1');
    texts.push([file, text]);
    const lines = [];
    // Each parse twice in a row: the second one must not differ from the first.
    for (const timezone of ZONES) for (let round = 0; round < 2; round++) lines.push(dump(parseTelegram(text, { timezone })));
    for (const [telegram] of readAll(text)) lines.push(dump(telegram));
    write(out, `corpus/${file}`, lines);
  }
  for (const profile of ['nl-dsmr5', 'be-fluvius']) {
    const meter = new SimulatedMeter(profile, 7);
    const start = Date.UTC(2024, 2, 30, 22, 0, 0);
    const stream = Array.from({ length: 200 }, (_, i) => meter.telegramAt(start + i * 61_000));
    texts.push([`simulated-${profile}`, stream[0]]);
    write(
      out,
      `simulated/${profile}`,
      stream.map((text) => dump(parseTelegram(text))),
    );
  }
  const random = new SeededRandom(20261202);
  const lines = [];
  for (const [, text] of texts) {
    for (let m = 0; m < MUTATIONS_PER_TEXT; m++) lines.push(dump(parseTelegram(mutate(text, random))));
  }
  write(out, 'mutations', lines);
}

function corpusFiles(dir, prefix = '') {
  const files = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const name = prefix + entry.name;
    if (entry.isDirectory()) files.push(...corpusFiles(path.join(dir, entry.name), name + '/'));
    else if (!/\.(md|tsv|json)$/.test(entry.name)) files.push(name);
  }
  return files;
}

function readAll(text) {
  const telegrams = [];
  const reader = new P1Reader({ crcPolicy: 'flag' }, { onTelegram: (telegram, raw) => telegrams.push([telegram, raw]) });
  reader.push(text);
  return telegrams;
}

function mutate(text, random) {
  let result = text;
  for (let k = random.int(1, 4); k > 0; k--) {
    const at = random.int(0, result.length);
    const what = random.int(0, 2);
    if (what === 0) result = result.slice(0, at) + random.pick(SPECIAL) + result.slice(at);
    else if (what === 1) result = result.slice(0, at) + result.slice(at + random.int(1, 8));
    else result = result.slice(0, at) + result.slice(random.int(0, result.length));
  }
  return result;
}

function dump(value) {
  return JSON.stringify(value);
}

function write(out, name, lines) {
  const file = path.join(out, name.replace(/[^A-Za-z0-9._/-]/g, '_') + '.jsonl');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

main();
