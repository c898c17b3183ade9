// Node-RED loads a node's editor HTML and locales from next to its runtime .js file:
// copy nodes/*.html and nodes/locales into dist/src/nodes after tsc.
// It looks for a package's icons only in an `icons` folder next to the node files
// (@node-red/registry localfilesystem.js getModuleNodeFiles), so icons/ is copied there too.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const to = path.join(root, 'dist', 'src', 'nodes');
fs.mkdirSync(to, { recursive: true });
fs.cpSync(path.join(root, 'nodes'), to, { recursive: true });
fs.cpSync(path.join(root, 'icons'), path.join(to, 'icons'), { recursive: true });
