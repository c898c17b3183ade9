/**
 * A real Node-RED in a child process, for the end-to-end tests: the same launcher the demo uses
 * (scripts/lib/node-red-process.js), typed, plus the few admin API calls the tests make.
 * Which Node-RED runs follows $NODE_RED_PATH (see ./node-red.ts).
 */
import * as http from 'node:http';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './paths';

export interface NodeRedProcess {
  /** http://127.0.0.1:<port>/ */
  url: string;
  child: ChildProcess;
  /** Everything Node-RED printed so far (for failure messages). */
  output(): string;
  /** SIGINT, wait for the exit (SIGKILL after 15 s). Safe to call twice. */
  stop(): Promise<void>;
}

export interface UserDirOptions {
  /** 0: any free port (startNodeRed learns which). */
  port: number;
  credentialSecret: string;
  flows?: unknown[];
  settings?: Record<string, unknown>;
  links?: Record<string, string>;
  dependencies?: Record<string, string>;
}

interface Launcher {
  nodeRedHome(): string;
  prepareUserDir(userDir: string, options: UserDirOptions): void;
  startNodeRed(options: { userDir: string; port: number; timeoutMs?: number }): Promise<NodeRedProcess>;
}

const launcher = require(path.join(REPO_ROOT, 'scripts', 'lib', 'node-red-process.js')) as Launcher;

export const { prepareUserDir, startNodeRed } = launcher;

/** One admin API request with a JSON body and a JSON (or empty) answer; rejects on a non-2xx status. */
export function adminRequest<T = unknown>(baseUrl: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = http.request(
      new URL(route, baseUrl),
      {
        method,
        headers: { Accept: 'application/json', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}), ...headers },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(new Error(`${method} ${route} → ${status}: ${text}`));
            return;
          }
          try {
            resolve((text ? JSON.parse(text) : undefined) as T);
          } catch {
            resolve(text as unknown as T);
          }
        });
      },
    );
    request.setTimeout(15000, () => request.destroy(new Error(`${method} ${route} timed out`)));
    request.on('error', reject);
    request.end(data);
  });
}

/**
 * Replaces all flows (a full deploy). Resolves with the new revision as soon as Node-RED has
 * saved them: it starts them afterwards (NodeRedComms.waitForDeploy tells when).
 */
export async function deployFlows(baseUrl: string, flows: unknown[]): Promise<string> {
  const { rev } = await adminRequest<{ rev: string }>(
    baseUrl,
    'POST',
    'flows',
    { flows },
    { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
  );
  return rev;
}
