/**
 * `npm run bench`: what the package costs. Never part of `npm test`; figures go in the README.
 * Run with --expose-gc (the npm script does) so heap growth is measured after a collection.
 */
import * as os from 'node:os';
import { runParseBench } from './parse';
import { runComparisonBench } from './compare';
import { runFramerBench } from './framer';
import { runEndToEndBench } from './e2e';
import { runEnergyBench } from './energy';
import { runSplitterBench } from './splitter';

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'} × ${os.cpus().length}`);
  console.log('\nparse + CRC, one telegram at a time, each different from the last');
  await runParseBench();
  console.log('\nside by side with the fastest JavaScript peers (dsmr-parser, p1-reader)');
  await runComparisonBench();
  console.log('\np1-energy per telegram, next to parsing the same telegram');
  await runEnergyBench();
  console.log('\nstreaming');
  await runFramerBench();
  console.log('\nend to end in a real Node-RED runtime');
  await runEndToEndBench();
  console.log('\nthe splitter in a real Node-RED runtime');
  await runSplitterBench();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
