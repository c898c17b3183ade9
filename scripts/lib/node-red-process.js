// Runs a real Node-RED as a child process in a user directory of its own.
// Shared by the demo (scripts/demo.js) and the end-to-end tests (test/e2e), so both
// start Node-RED the same way: red.js, a generated settings.js, modules linked into
// <userDir>/node_modules so that Node-RED loads them as installed packages.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { spawn } = require('node:child_process');

/** red.js of the Node-RED to run: $NODE_RED_PATH (a node-red package folder) or the project's dev dependency. */
function nodeRedHome() {
  return process.env.NODE_RED_PATH ? path.resolve(process.env.NODE_RED_PATH) : path.dirname(require.resolve('node-red/package.json'));
}

/**
 * Creates userDir with settings.js, an optional flows.json and links in node_modules.
 * @param {string} userDir
 * @param {{ port: number, flows?: unknown[], credentialSecret: string, settings?: Record<string, unknown>,
 *   links?: Record<string, string>, dependencies?: Record<string, string> }} options
 *   settings: extra settings.js entries; links: package name → folder to symlink as <userDir>/node_modules/<name>;
 *   dependencies: written to <userDir>/package.json so Node-RED lists them as user-installed.
 */
function prepareUserDir(userDir, options) {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: options.port,
    flowFile: 'flows.json',
    credentialSecret: options.credentialSecret,
    // A demo or a test must never wait for a consent prompt or a tour.
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    ...options.settings,
  };
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `// Written by scripts/lib/node-red-process.js on every start.\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n`,
  );
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify(
      {
        name: 'node-red-user-dir',
        private: true,
        description: 'Generated Node-RED user directory',
        dependencies: options.dependencies ?? {},
      },
      null,
      2,
    ),
  );
  if (options.flows) fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(options.flows, null, 2));
  for (const [name, target] of Object.entries(options.links ?? {})) {
    const link = path.join(userDir, 'node_modules', name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(path.relative(path.dirname(link), target), link, 'dir');
  }
}

/** GET url → { status, body } (no redirects followed). */
function httpGet(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.setTimeout(5000, () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

/**
 * Starts Node-RED on 127.0.0.1:port with userDir (prepared by prepareUserDir) and resolves once
 * its admin API answers. Port 0: the system picks a free port, read from Node-RED's
 * "Server now running at …" line (needs the default stdio 'pipe'); nothing can take it in between.
 * Rejects if Node-RED exits first or is not up within timeoutMs.
 * @param {{ userDir: string, port: number, nodeBinary?: string, stdio?: 'inherit' | 'pipe', timeoutMs?: number }} options
 * @returns {Promise<{ url: string, child: import('node:child_process').ChildProcess, output: () => string, stop: () => Promise<void> }>}
 */
function startNodeRed(options) {
  const redJs = path.join(nodeRedHome(), 'red.js');
  const child = spawn(options.nodeBinary ?? process.execPath, [redJs, '--userDir', options.userDir, '--settings', path.join(options.userDir, 'settings.js')], {
    stdio: ['ignore', options.stdio ?? 'pipe', options.stdio ?? 'pipe'],
    env: { ...process.env, NODE_RED_DISABLE_TELEMETRY: '1' },
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', (chunk) => {
      output += chunk;
    });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let url = `http://127.0.0.1:${options.port}/`;
  /** The URL to poll: known at once for a fixed port, from Node-RED's log for port 0. */
  const listeningUrl = () => {
    if (options.port !== 0) return url;
    const match = /now running at (http:\/\/127\.0\.0\.1:[1-9]\d*\/)/.exec(output);
    return match ? (url = match[1]) : undefined;
  };

  async function stop() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT'); // Node-RED stops its flows (closing ports and sockets), then exits.
    const killer = setTimeout(() => child.kill('SIGKILL'), 15000);
    await exited;
    clearTimeout(killer);
  }

  return new Promise((resolve, reject) => {
    const deadline = Date.now() + (options.timeoutMs ?? 60000);
    let done = false;
    exited.then(({ code, signal }) => {
      if (!done) {
        done = true;
        reject(new Error(`Node-RED exited (${code ?? signal}) before it was ready:\n${output}`));
      }
    });
    const poll = async () => {
      if (done) return;
      try {
        const ready = listeningUrl();
        const { status } = ready ? await httpGet(`${ready}settings`, { Accept: 'application/json' }) : { status: 0 };
        if (status === 200) {
          done = true;
          resolve({ url, child, output: () => output, stop });
          return;
        }
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        done = true;
        await stop();
        reject(new Error(`Node-RED did not answer on ${url} in time:\n${output}`));
        return;
      }
      setTimeout(poll, 250);
    };
    poll();
  });
}

module.exports = { nodeRedHome, prepareUserDir, httpGet, startNodeRed };
