import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listSerialPorts } from '../../src/transport';
import { scanSerialPorts } from '../../src/transport/serial-ports';
import { startPtyPair } from '../support/pty-pair';

describe('transport/serial-ports', () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-ports-'));
  });

  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  /** A /dev and /sys laid out as Linux does for an FTDI P1 cable, a CDC-ACM device and the Pi UART. */
  function buildTree(): { dev: string; sys: string } {
    const dev = path.join(root, 'dev');
    const sys = path.join(root, 'sys');
    fs.mkdirSync(path.join(dev, 'serial', 'by-id'), { recursive: true });
    for (const name of ['ttyUSB0', 'ttyUSB10', 'ttyUSB2', 'ttyACM0', 'ttyAMA0', 'ttyS0', 'ttyS1', 'tty0', 'random']) fs.writeFileSync(path.join(dev, name), '');
    fs.symlinkSync('ttyAMA0', path.join(dev, 'serial0'));
    fs.symlinkSync('../../ttyUSB0', path.join(dev, 'serial', 'by-id', 'usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0'));
    fs.symlinkSync('../../ttyACM0', path.join(dev, 'serial', 'by-id', 'usb-Arduino_Uno_123-if00'));
    fs.symlinkSync('../../ttyUSB9', path.join(dev, 'serial', 'by-id', 'usb-gone-if00-port0')); // unplugged: dangling
    const usbDevice = path.join(sys, 'devices', 'pci0000:00', 'usb1', '1-1');
    fs.mkdirSync(path.join(usbDevice, '1-1:1.0', 'ttyUSB0'), { recursive: true });
    fs.writeFileSync(path.join(usbDevice, 'manufacturer'), 'FTDI\n');
    fs.writeFileSync(path.join(usbDevice, 'product'), 'FT232R USB UART\n');
    fs.mkdirSync(path.join(sys, 'class', 'tty', 'ttyUSB0'), { recursive: true });
    fs.symlinkSync(path.join(usbDevice, '1-1:1.0'), path.join(sys, 'class', 'tty', 'ttyUSB0', 'device'));
    return { dev, sys };
  }

  it('scans /dev without udevadm: by-id links first (resolved, with the maker), then the devices in natural order', async () => {
    const { dev, sys } = buildTree();
    const ports = await scanSerialPorts({ devDir: dev, sysDir: sys });
    assert.deepEqual(ports, [
      { path: path.join(dev, 'serial/by-id/usb-Arduino_Uno_123-if00'), label: 'usb-Arduino_Uno_123-if00 (Arduino Uno 123, ttyACM0)' },
      {
        path: path.join(dev, 'serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0'),
        label: 'usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0 (FTDI FT232R USB UART, ttyUSB0)',
      },
      { path: path.join(dev, 'serial0'), label: path.join(dev, 'serial0') },
      { path: path.join(dev, 'ttyACM0'), label: path.join(dev, 'ttyACM0') },
      { path: path.join(dev, 'ttyAMA0'), label: path.join(dev, 'ttyAMA0') },
      { path: path.join(dev, 'ttyS0'), label: path.join(dev, 'ttyS0') },
      { path: path.join(dev, 'ttyUSB0'), label: `${path.join(dev, 'ttyUSB0')} (FTDI FT232R USB UART)` },
      { path: path.join(dev, 'ttyUSB2'), label: path.join(dev, 'ttyUSB2') },
      { path: path.join(dev, 'ttyUSB10'), label: path.join(dev, 'ttyUSB10') },
    ]);
  });

  it('a machine without serial devices gives an empty list, not an error', async () => {
    assert.deepEqual(await scanSerialPorts({ devDir: path.join(root, 'nothing'), sysDir: path.join(root, 'nothing') }), []);
  });

  it('finds a real serial device: a socat pty linked as ttyUSB0 and ttyACM3, next to files that are not ports', async () => {
    const dev = path.join(root, 'dev');
    fs.mkdirSync(dev);
    fs.writeFileSync(path.join(dev, 'ttyUSBX'), '');
    const first = await startPtyPair(dev, { a: 'ttyUSB0', b: 'meter-side-0' });
    const second = await startPtyPair(dev, { a: 'ttyACM3', b: 'meter-side-3' });
    try {
      const ports = await scanSerialPorts({ devDir: dev, sysDir: path.join(root, 'no-sys') });
      assert.deepEqual(ports, [
        { path: path.join(dev, 'ttyACM3'), label: path.join(dev, 'ttyACM3') },
        { path: path.join(dev, 'ttyUSB0'), label: path.join(dev, 'ttyUSB0') },
      ]);
      for (const port of ports) assert.ok(fs.statSync(port.path).isCharacterDevice(), `${port.path} is a terminal device`);
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('listSerialPorts() works on this machine even though SerialPort.list() cannot run udevadm', async () => {
    const ports = await listSerialPorts();
    // Whatever this machine has (possibly nothing): the scan of /dev first, in its order, nothing twice.
    assert.deepEqual(ports.slice(0, (await scanSerialPorts()).length), await scanSerialPorts());
    assert.equal(new Set(ports.map((p) => p.path)).size, ports.length, 'no port twice');
  });
});
