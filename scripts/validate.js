// `npm run validate`: node-red-dev validate (the Node-RED flow library's package checks), offline.
//
// node-red-dev looks things up on the internet: the flow library catalogue (are our node
// type names unique? is there a similarly named package?), the npm registry (which
// Node-RED versions are current, are our dependencies at their latest version, is a known
// incompatible package in our dependency tree). This wrapper answers those look-ups from a
// small HTTP server on 127.0.0.1 built from what is installed in node_modules:
//   - catalogue: every installed Node-RED package with its node set names;
//   - registry: for every installed package, the versions installed here ("latest" = newest),
//     except Node-RED, whose newest release the installed tree cannot tell (see NEWEST_NODE_RED).
// So the checks run for real against that local picture of the world. Run `npm ci` first so
// node_modules is current. Exits 1 if any check of the scorecard fails.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const NODE_RED_DEV = path.dirname(require.resolve('node-red-dev/package.json'));
const UPSTREAM = ['https://catalogue.nodered.org/', 'https://registry.npmjs.org/'];

// The newest Node-RED release as the npm registry reported it (`npm view node-red@latest
// version engines`, 2026-11-26); scripts/test-node-red-5.sh tests against this major. Update it
// when a new Node-RED major appears. The installed dev dependency is offered as "maintenance".
const NEWEST_NODE_RED = { name: 'node-red', version: '5.0.7', engines: { node: '>=22.9' } };

/** name → (version → package.json) for every package folder under node_modules, nested ones too. */
function installedPackages() {
  const packages = new Map();
  const visit = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      const folder = path.join(dir, entry);
      if (entry.startsWith('@')) {
        visit(folder);
        continue;
      }
      let manifest;
      try {
        manifest = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
      } catch {
        continue;
      }
      if (!manifest.name || !manifest.version) continue;
      if (!packages.has(manifest.name)) packages.set(manifest.name, new Map());
      packages.get(manifest.name).set(manifest.version, manifest);
      visit(path.join(folder, 'node_modules'));
    }
  };
  visit(NODE_MODULES);
  return packages;
}

function newest(versions) {
  const semver = require(require.resolve('semver', { paths: [NODE_RED_DEV] }));
  return [...versions].sort(semver.rcompare)[0];
}

/** A registry document ("packument") in the shape npm clients read. */
function packument(name, versions) {
  const tags = { latest: newest(versions.keys()) };
  if (name === 'node-red') {
    versions = new Map([...versions, [NEWEST_NODE_RED.version, NEWEST_NODE_RED]]);
    tags.maintenance = tags.latest;
    tags.latest = NEWEST_NODE_RED.version;
  }
  const all = {};
  for (const [version, manifest] of versions) {
    all[version] = { ...manifest, dist: { tarball: `http://127.0.0.1/unavailable/${name}-${version}.tgz` } };
  }
  return { name, 'dist-tags': tags, versions: all, time: { created: '2020-01-01T00:00:00.000Z' } };
}

function catalogue(packages) {
  const modules = [];
  for (const [name, versions] of packages) {
    const manifest = versions.get(newest(versions.keys()));
    const nodes = manifest['node-red']?.nodes;
    if (nodes && name !== require(path.join(ROOT, 'package.json')).name) {
      modules.push({ id: name, version: manifest.version, types: Object.keys(nodes) });
    }
  }
  return { name: 'Local catalogue of installed Node-RED packages', updated_at: new Date().toISOString(), modules };
}

function startLookupServer(packages) {
  const server = http.createServer((request, response) => {
    const route = decodeURIComponent(new URL(request.url, 'http://localhost').pathname).replace(/^\/+/, '');
    let body;
    if (route === 'catalogue.json') body = catalogue(packages);
    else if (packages.has(route)) body = packument(route, packages.get(route));
    response.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(body ?? { error: 'Not found' }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const packages = installedPackages();
  const server = await startLookupServer(packages);
  const local = `http://127.0.0.1:${server.address().port}/`;

  // Registry clients inside node-red-dev (npm-check, npm-remote-ls) read npm's registry setting…
  process.env.npm_config_registry = local;
  // …its own look-ups use hard-coded https URLs through its copy of axios.
  const axios = require(require.resolve('axios', { paths: [path.join(NODE_RED_DEV, 'src')] }));
  axios.interceptors.request.use((config) => {
    for (const upstream of UPSTREAM) {
      if (config.url?.startsWith(upstream)) config.url = local + config.url.slice(upstream.length);
    }
    return config;
  });

  const scorecardFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-dev-')), 'scorecard.json');
  const Validate = require(path.join(NODE_RED_DEV, 'src', 'commands', 'validate'));
  await Validate.run(['--path', ROOT, '--output', scorecardFile, '--embed', 'true'], NODE_RED_DEV);
  server.close();

  const scorecard = JSON.parse(fs.readFileSync(scorecardFile, 'utf8'));
  fs.rmSync(path.dirname(scorecardFile), { recursive: true, force: true });
  const checks = Object.entries(scorecard).filter(([, result]) => result && typeof result === 'object' && 'test' in result);
  const failed = checks.filter(([, result]) => result.test !== true).map(([code]) => code);
  console.log(
    `\nnode-red-dev scorecard: ${checks.length - failed.length} of ${checks.length} checks passed` +
      (failed.length ? `; failed: ${failed.join(', ')}` : ` (${checks.map(([code]) => code).join(' ')})`),
  );
  process.exit(checks.length > 0 && failed.length === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
