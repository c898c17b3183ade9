// Node-RED loads a node's editor HTML and locales from next to its runtime .js file:
// copy nodes/*.html and nodes/locales into dist/src/nodes after tsc.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const from = path.join(__dirname, '..', 'nodes');
const to = path.join(__dirname, '..', 'dist', 'src', 'nodes');
fs.mkdirSync(to, { recursive: true });
fs.cpSync(from, to, { recursive: true });
