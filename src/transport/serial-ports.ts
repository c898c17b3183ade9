import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SerialPort } from 'serialport';

export interface SerialPortChoice {
  path: string;
  label: string;
}

/** Device names worth offering for a P1 cable: USB serial adapters, CDC-ACM, the Raspberry Pi UART. */
const DEVICE_NAME = /^(ttyUSB\d+|ttyACM\d+|ttyAMA\d+|ttyS0|serial0)$/;

/**
 * The serial ports on this machine for the editor's picker. `SerialPort.list()` needs
 * `udevadm` on Linux and fails without it (containers, minimal images), so when it fails or
 * finds nothing we scan the device directory ourselves. Stable `/dev/serial/by-id/…` paths
 * come first. Never rejects.
 */
export async function listSerialPorts(): Promise<SerialPortChoice[]> {
  const scanned = await scanSerialPorts();
  let listed: Awaited<ReturnType<typeof SerialPort.list>> = [];
  try {
    listed = await SerialPort.list();
  } catch {
    // no udevadm: the scan below is all we have
  }
  const seen = new Set(scanned.map((p) => p.path));
  const fromList = listed
    .filter((p) => !seen.has(p.path))
    .map((p) => {
      const description = [p.manufacturer, p.serialNumber].filter(Boolean).join(', ');
      return { path: p.path, label: description ? `${p.path} (${description})` : p.path };
    });
  return [...scanned, ...fromList];
}

export interface ScanRoots {
  /** Default `/dev`. */
  devDir?: string;
  /** Default `/sys`; where the manufacturer and product of USB adapters are read. */
  sysDir?: string;
}

/** The serial devices found by reading `/dev` (and `/sys` for names). Never rejects. */
export async function scanSerialPorts(roots: ScanRoots = {}): Promise<SerialPortChoice[]> {
  const devDir = roots.devDir ?? '/dev';
  const sysDir = roots.sysDir ?? '/sys';
  const byIdDir = path.join(devDir, 'serial', 'by-id');
  const byId: SerialPortChoice[] = [];
  for (const name of await readDir(byIdDir)) {
    const link = path.join(byIdDir, name);
    const target = await realPath(link);
    if (!target) continue; // dangling link: the adapter is gone
    const device = path.basename(target);
    const vendor = (await usbDescription(sysDir, device)) ?? describeById(name);
    byId.push({ path: link, label: `${name} (${[vendor, device].filter(Boolean).join(', ')})` });
  }
  const devices: SerialPortChoice[] = [];
  for (const name of (await readDir(devDir)).filter((n) => DEVICE_NAME.test(n)).sort(byNaturalOrder)) {
    const device = path.join(devDir, name);
    const vendor = await usbDescription(sysDir, name);
    devices.push({ path: device, label: vendor ? `${device} (${vendor})` : device });
  }
  return [...byId, ...devices];
}

/** "FTDI FT232R USB UART A50285BI" from sysfs: the USB device directory above the tty holds `manufacturer`, `product` and `serial`. */
async function usbDescription(sysDir: string, device: string): Promise<string | undefined> {
  let dir = await realPath(path.join(sysDir, 'class', 'tty', device, 'device'));
  for (let up = 0; dir && up < 4; up++, dir = path.dirname(dir)) {
    const manufacturer = await readText(path.join(dir, 'manufacturer'));
    const product = await readText(path.join(dir, 'product'));
    const serialNumber = await readText(path.join(dir, 'serial'));
    if (manufacturer || product) return [manufacturer, product, serialNumber].filter(Boolean).join(' ');
  }
  return undefined;
}

/** "usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0" → "FTDI FT232R USB UART A50285BI". */
function describeById(name: string): string {
  return name
    .replace(/^usb-/, '')
    .replace(/-if\d+.*$/, '')
    .replace(/_/g, ' ');
}

function byNaturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

async function readDir(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

async function realPath(file: string): Promise<string | undefined> {
  try {
    return await fs.realpath(file);
  } catch {
    return undefined;
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(file, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}
