import * as path from 'node:path';

/**
 * The Node-RED the tests run against: the package folder in $NODE_RED_PATH
 * (scripts/test-node-red-5.sh points it at Node-RED 5), else the project's dev dependency.
 *
 * Node tests: `helper.init(NODE_RED_RUNTIME)`.
 */
export const NODE_RED_PATH: string = process.env.NODE_RED_PATH
  ? path.resolve(process.env.NODE_RED_PATH)
  : path.dirname(require.resolve('node-red/package.json'));

/** The version of that Node-RED, e.g. "4.1.2". */
export const NODE_RED_VERSION: string = require(path.join(NODE_RED_PATH, 'package.json')).version;

/** The runtime entry file (node-red's `main`, lib/red.js): what node-red-node-test-helper's `init()` wants. */
export const NODE_RED_RUNTIME: string = require.resolve(NODE_RED_PATH);
