// `npm start`: a real Node-RED on http://127.0.0.1:1880 with this package, Dashboard 2 and a
// demo flow fed by two simulated meters (Dutch DSMR 5 and Belgian Fluvius), already deployed.
// Everything lives in the ignored folder .demo/, rewritten on every start (the demo flow
// is reset too). PORT=1881 npm start picks another port. Ctrl-C stops Node-RED cleanly.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { prepareUserDir, startNodeRed } = require('./lib/node-red-process');

const ROOT = path.join(__dirname, '..');
const USER_DIR = path.join(ROOT, '.demo');
const PORT = Number(process.env.PORT) || 1880;

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'nodes', 'p1-connection.js'))) {
    console.error('The package is not built yet: run `npm start` (which builds first) or `npm run build`.');
    process.exit(1);
  }
  prepareUserDir(USER_DIR, {
    port: PORT,
    credentialSecret: 'dsmr-p1-demo', // only guards the demo's own credential file
    // p1-energy keeps its totals in node context: on disk (.demo/context), so "today" carries on over restarts.
    settings: { contextStorage: { default: { module: 'localfilesystem' } } },
    flows: JSON.parse(fs.readFileSync(path.join(__dirname, 'demo-flow.json'), 'utf8')),
    // Installed like a user would (npm install <folder> makes the same symlink), so Node-RED
    // loads it as a module: its examples show under Import > Examples. Dashboard 2 is found
    // next to Node-RED in the project's node_modules.
    links: { 'node-red-contrib-dsmr-p1': ROOT },
    dependencies: { 'node-red-contrib-dsmr-p1': 'file:..' },
  });

  const nodeRed = await startNodeRed({ userDir: USER_DIR, port: PORT, stdio: 'inherit' });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Node-RED …');
    await nodeRed.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  nodeRed.child.once('exit', (code) => {
    if (!stopping) process.exit(code ?? 1);
  });

  console.log(
    [
      '',
      'DSMR P1 demo is running:',
      `  editor     ${nodeRed.url}`,
      `  dashboard  ${nodeRed.url}dashboard`,
      'Two simulated meters (NL DSMR 5, BE Fluvius) feed the flow. Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
