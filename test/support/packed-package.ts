/**
 * Installs this package into a Node-RED user directory the way users get it: from the
 * tarball `npm pack` makes, so only the files the package ships are loaded. Offline: the
 * tarball is unpacked into <userDir>/node_modules and its runtime dependencies are linked
 * from the project's node_modules instead of being downloaded.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { REPO_ROOT } from './paths';
import { NODE_RED_PATH } from './node-red';
import { prepareUserDir, startNodeRed, type NodeRedProcess } from './node-red-process';

export const PACKAGE_NAME = 'node-red-contrib-dsmr-p1';

export interface PackedNodeRed {
  /** The running Node-RED (a new one after `restart()`). */
  nodeRed: NodeRedProcess;
  /** Its user directory (flows.json, flows_cred.json, settings.js). */
  userDir: string;
  /** Paths of the files in the tarball. */
  packedFiles: string[];
  /** Stops Node-RED and starts it again on the same user directory (on a new free port). */
  restart(): Promise<NodeRedProcess>;
  /** Stops Node-RED and removes its temporary folder. */
  dispose(): Promise<void>;
}

/**
 * A real Node-RED on a free port of 127.0.0.1 (port 0: the system picks it) with the packed
 * package installed in a temporary user directory and `flows` deployed at start.
 */
export async function startPackedNodeRed(flows: unknown[], settings: Record<string, unknown> = {}): Promise<PackedNodeRed> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsmr-p1-e2e-'));
  try {
    const userDir = path.join(workDir, 'user');
    const installed = installPackedPackage(workDir, userDir);
    prepareUserDir(userDir, {
      port: 0,
      flows,
      settings,
      credentialSecret: 'e2e-test',
      links: installed.links,
      dependencies: { [PACKAGE_NAME]: '*' }, // listed as user-installed, like after npm install
    });
    const packed: PackedNodeRed = {
      nodeRed: await startNodeRed({ userDir, port: 0 }),
      userDir,
      packedFiles: installed.files,
      async restart() {
        await packed.nodeRed.stop();
        packed.nodeRed = await startNodeRed({ userDir, port: 0 });
        return packed.nodeRed;
      },
      async dispose() {
        await packed.nodeRed.stop();
        fs.rmSync(workDir, { recursive: true, force: true });
      },
    };
    return packed;
  } catch (error) {
    fs.rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Packs the project into workDir (without running `prepare`: the tests run on the build
 * `npm test` just made) and unpacks it as <userDir>/node_modules/node-red-contrib-dsmr-p1.
 * Returns the list of files in the tarball and the links for prepareUserDir.
 */
export function installPackedPackage(workDir: string, userDir: string): { files: string[]; links: Record<string, string> } {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const packed = JSON.parse(
    execFileSync(npm, ['pack', '--json', '--pack-destination', workDir], {
      cwd: packageRoot(workDir),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = path.join(workDir, path.basename(packed[0].filename));

  const target = path.join(userDir, 'node_modules', PACKAGE_NAME);
  fs.mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);

  const manifest = JSON.parse(fs.readFileSync(path.join(target, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const links: Record<string, string> = {};
  for (const name of Object.keys(manifest.dependencies ?? {})) links[name] = path.join(REPO_ROOT, 'node_modules', name);
  // Node-RED finds Dashboard 2 next to itself in the project's node_modules; another Node-RED
  // (NODE_RED_PATH, e.g. Node-RED 5) gets it linked into the user directory instead.
  if (!isInside(NODE_RED_PATH, path.join(REPO_ROOT, 'node_modules'))) {
    links['@flowfuse/node-red-dashboard'] = path.join(REPO_ROOT, 'node_modules', '@flowfuse', 'node-red-dashboard');
  }
  return { files: packed[0].files.map((f) => f.path), links };
}

/**
 * The folder to pack: a copy of the project's package.json and shipped folders, with the build
 * this test was compiled into as dist/ (`npm test` builds into dist/, a helper's
 * `tsc --outDir .build-x` elsewhere), so the tarball always holds the build under test.
 * The copy's package.json has no `prepare` script: some npm versions run it on `npm pack`
 * even with --ignore-scripts, and it would rebuild from sources the copy does not have.
 */
function packageRoot(workDir: string): string {
  const buildDir = path.resolve(__dirname, '..', '..');
  const stage = path.join(workDir, 'stage');
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[]; scripts?: Record<string, string> };
  for (const entry of manifest.files) {
    const from = entry.startsWith('dist/') ? path.join(buildDir, entry.slice('dist/'.length)) : path.join(REPO_ROOT, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(stage, entry), { recursive: true });
  }
  delete manifest.scripts?.prepare;
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2));
  return stage;
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}
