/**
 * node-red-contrib-dsmr-p1 as a library: the pure protocol layer, usable without Node-RED.
 * See "Use the parser without Node-RED" in the README.
 */
export * from './protocol/types';
export { crc16, crc16Update, crc16String, formatCrc, checkTelegramCrc } from './protocol/crc16';
export { TelegramFramer, DEFAULT_MAX_TELEGRAM_SIZE, MAX_TELEGRAM_SIZE } from './protocol/framer';
export type { Frame, FrameDiscard, FramerStats, FramerOptions } from './protocol/framer';
export { decryptFrame, DecryptError, LUXEMBOURG_AUTHENTICATION_KEY } from './protocol/decrypt';
export type { DecryptOptions, DecryptFailure } from './protocol/decrypt';
export { P1Reader } from './protocol/reader';
export type { ReaderOptions, ReaderProblem, ReaderStats, ReaderHandlers } from './protocol/reader';
export { parseTelegram, TelegramParser } from './protocol/parser';
export { OBIS_REGISTRY, lookupObis } from './protocol/obis-registry';
export type { ObisDefinition } from './protocol/obis-registry';
