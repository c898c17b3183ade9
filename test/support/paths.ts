import * as fs from 'node:fs';
import * as path from 'node:path';

/** The project root, found from wherever the compiled test runs. */
export const REPO_ROOT = findRoot(__dirname);

/** The telegram corpus (test/fixtures/telegrams/README.md): the project's own copy, with its index and expected values. */
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'telegrams');

function findRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'node-red-contrib-dsmr-p1') return dir;
  }
  throw new Error(`package root not found above ${from}`);
}
