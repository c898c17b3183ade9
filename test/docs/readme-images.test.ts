/**
 * The README's screenshots are tracked files that the browser test refreshes only when asked
 * (UPDATE_SCREENSHOTS=1): every image the README shows must exist, and every file in
 * docs/images/ must be shown, so that none goes stale unnoticed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/paths';

describe('README screenshots', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const shown = [...readme.matchAll(/!\[[^\]]*\]\((docs\/images\/[^)]+)\)/g)].map((m) => m[1]);

  it('every image the README shows is in docs/images/, and every file there is shown', () => {
    assert.ok(shown.length > 0, 'the README shows screenshots');
    for (const image of shown) assert.ok(fs.existsSync(path.join(REPO_ROOT, image)), `${image} exists`);
    const files = fs.readdirSync(path.join(REPO_ROOT, 'docs', 'images')).map((f) => `docs/images/${f}`);
    assert.deepEqual(files.sort(), [...new Set(shown)].sort());
  });

  it('are real PNG images', () => {
    for (const image of new Set(shown)) {
      const bytes = fs.readFileSync(path.join(REPO_ROOT, image));
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], image);
      assert.ok(bytes.length > 10_000, `${image} is not empty`);
    }
  });
});
