/**
 * node-red-contrib-dsmr-p1 as a library: the pure protocol layer, usable without Node-RED.
 * See "Use the parser without Node-RED" in the README.
 */
export * from './protocol/types';
export { crc16, crc16Update, crc16String, formatCrc, checkTelegramCrc } from './protocol/crc16';
