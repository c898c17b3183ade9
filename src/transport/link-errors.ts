/**
 * The words for why a network link failed, shared by the transports that dial out (TCP client,
 * HTTP dongle), so that a refused or unreachable bridge reads the same whichever source is used.
 */

/** "connection refused by 192.168.1.50:8088", "cannot resolve host p1meter.local", … */
export function describeSocketError(err: NodeJS.ErrnoException, host: string, port: number): string {
  const address = `${host}:${port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${address}`;
    case 'ECONNRESET':
      return `connection reset by ${address}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host ${host}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${host} is unreachable`;
    case 'ETIMEDOUT':
      return `no answer from ${address}`;
    default:
      return `${address}: ${err.message}`;
  }
}

/** "30 s", "0.2 s". */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
