/**
 * The example flows (examples/*.json) and the few changes that let them run in a test
 * without a meter, an MQTT broker or a database. Every change is listed here, in one place:
 *
 * - p1-connection: the caller patches it (simulator, or a TCP server the test runs);
 * - mqtt out → a debug node with the same id and name (shows the whole message);
 * - mqtt in → http in (POST /e2e/<id>) + a change node restoring the MQTT topic, and an
 *   http response; mqtt-broker config nodes are dropped;
 * - Dashboard 2 widgets stay; a debug node "tap.<id>" receives whatever is sent to each;
 * - every debug node is made active (the examples leave some switched off).
 * Everything else (our nodes, function, change, switch, template, inject, http request) runs as shipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './paths';

export const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');

export interface FlowNode {
  id: string;
  type: string;
  name?: string;
  z?: string;
  wires?: string[][];
  [property: string]: unknown;
}

export function exampleFiles(): string[] {
  return fs
    .readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function loadExample(file: string): FlowNode[] {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as FlowNode[];
}

const TAB = 'e2e.tab';
/** Node-RED tells flow nodes from config nodes by their x/y position: added nodes need one. */
const AT = { x: 100, y: 500 };

/**
 * The example as a deployable flow: on one tab, with the substitutions above and `patch`
 * applied to each node (return the changed node, or the node itself).
 */
export function testableFlow(example: FlowNode[], patch: (node: FlowNode) => FlowNode = (n) => n): FlowNode[] {
  const flow: FlowNode[] = [{ id: TAB, type: 'tab', label: 'e2e' }];
  const widgetIds = new Set(example.filter(isDashboardWidget).map((n) => n.id));
  for (const original of example) {
    const node = patch(structuredClone(original));
    if (node.type === 'mqtt-broker') continue;
    if (isFlowNode(node)) node.z = TAB;
    if (node.type === 'mqtt out') {
      flow.push({
        id: node.id,
        type: 'debug',
        z: TAB,
        x: node.x,
        y: node.y,
        name: node.name ?? node.id,
        active: true,
        tosidebar: true,
        console: false,
        tostatus: false,
        complete: 'true',
        targetType: 'full',
        wires: [],
      });
    } else if (node.type === 'mqtt in') {
      flow.push(...httpStandIn(node));
    } else {
      if (node.type === 'debug') node.active = true;
      if (node.wires) node.wires = node.wires.map((port) => port.flatMap((id) => (widgetIds.has(id) ? [id, tapId(id)] : [id])));
      flow.push(node);
    }
  }
  for (const id of widgetIds) {
    flow.push({
      id: tapId(id),
      type: 'debug',
      z: TAB,
      ...AT,
      name: tapId(id),
      active: true,
      tosidebar: true,
      console: false,
      tostatus: false,
      complete: 'true',
      targetType: 'full',
      wires: [],
    });
  }
  return flow;
}

/** The debug node that sees what a Dashboard 2 widget receives. */
export function tapId(widgetId: string): string {
  return `tap.${widgetId}`;
}

/** The http route that stands in for an `mqtt in` node. */
export function mqttStandInRoute(mqttInId: string): string {
  return `/e2e/${mqttInId}`;
}

function httpStandIn(mqttIn: FlowNode): FlowNode[] {
  const topicId = `${mqttIn.id}.topic`;
  const responseId = `${mqttIn.id}.response`;
  return [
    {
      id: mqttIn.id,
      type: 'http in',
      z: TAB,
      x: mqttIn.x,
      y: mqttIn.y,
      name: `stands in for mqtt in "${mqttIn.name ?? ''}"`,
      url: mqttStandInRoute(mqttIn.id),
      method: 'post',
      upload: false,
      swaggerDoc: '',
      wires: [[topicId, responseId]],
    },
    {
      id: topicId,
      type: 'change',
      z: TAB,
      ...AT,
      name: 'MQTT topic',
      rules: [{ t: 'set', p: 'topic', pt: 'msg', to: String(mqttIn.topic), tot: 'str' }],
      action: '',
      property: '',
      from: '',
      to: '',
      reg: false,
      wires: mqttIn.wires ?? [[]],
    },
    { id: responseId, type: 'http response', z: TAB, ...AT, name: '', statusCode: '204', headers: {}, wires: [] },
  ];
}

function isFlowNode(node: FlowNode): boolean {
  return Array.isArray(node.wires);
}

function isDashboardWidget(node: FlowNode): boolean {
  return node.type.startsWith('ui-') && typeof node.group === 'string';
}
