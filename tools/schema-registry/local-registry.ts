/**
 * Local schema registry: a small in-memory HTTP server that implements only the part of the
 * Confluent Schema Registry REST API that `@kafkajs/confluent-schema-registry` calls (listed in
 * README.md beside this file), for tests and local runs. It is not a Confluent-compatible
 * registry in general: no persistence, no auth, no references, Avro only. Compatibility checks
 * (BACKWARD by default; FORWARD, FULL, their _TRANSITIVE forms and NONE) use avsc's resolver.
 *
 * In tests: `const registry = await startLocalSchemaRegistry()` on 127.0.0.1 and a free port,
 * then `new SchemaRegistry({ host: registry.url })`. From a shell:
 * `npx tsx tools/schema-registry/local-registry.ts [--port 8081]`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import avsc from 'avsc';

/** A running local registry. */
export interface LocalSchemaRegistry {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  /** Every request served, as `METHOD /path`, oldest first: lets tests count round trips. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/** Where to listen; the default is 127.0.0.1 on a free port. */
export interface LocalSchemaRegistryOptions {
  readonly host?: string;
  readonly port?: number;
}

const COMPATIBILITY_LEVELS = new Set([
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
]);

interface StoredSchema {
  readonly id: number;
  readonly text: string;
  readonly type: avsc.Type;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The registry's state and rules, apart from HTTP. */
class Registry {
  private readonly schemas: StoredSchema[] = [];
  private readonly byText = new Map<string, StoredSchema>();
  private readonly subjects = new Map<string, StoredSchema[]>();
  private readonly configs = new Map<string, string>();
  private globalCompatibility = 'BACKWARD';

  register(subject: string, body: unknown): { id: number } {
    const candidate = this.parse(body);
    const versions = this.subjects.get(subject) ?? [];
    const existing = versions.find((s) => s.text === candidate.text);
    if (existing !== undefined) return { id: existing.id };
    const problem = this.incompatibility(subject, candidate.type, versions);
    if (problem !== undefined) {
      throw new HttpError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}": ${problem}`);
    }
    // Ids are global: the same schema under another subject keeps its id.
    let stored = this.byText.get(candidate.text);
    if (stored === undefined) {
      stored = { id: this.schemas.length + 1, text: candidate.text, type: candidate.type };
      this.schemas.push(stored);
      this.byText.set(stored.text, stored);
    }
    this.subjects.set(subject, [...versions, stored]);
    return { id: stored.id };
  }

  schemaById(id: number): { schema: string } {
    const stored = this.schemas[id - 1];
    if (stored === undefined) throw new HttpError(404, 40403, `Schema ${id} not found`);
    return { schema: stored.text };
  }

  subjectNames(): string[] {
    return [...this.subjects.keys()];
  }

  versionsOf(subject: string): number[] {
    return this.versionList(subject).map((_, i) => i + 1);
  }

  version(subject: string, version: string): { subject: string; version: number; id: number; schema: string } {
    const versions = this.versionList(subject);
    const index = version === 'latest' || version === '-1' ? versions.length : Number(version);
    const stored = versions[index - 1];
    if (stored === undefined) throw new HttpError(404, 40402, `Version ${version} not found`);
    return { subject, version: index, id: stored.id, schema: stored.text };
  }

  lookup(subject: string, body: unknown): { subject: string; version: number; id: number; schema: string } {
    const versions = this.versionList(subject);
    const { text } = this.parse(body);
    const index = versions.findIndex((s) => s.text === text);
    if (index < 0) throw new HttpError(404, 40403, 'Schema not found');
    const stored = versions[index] as StoredSchema;
    return { subject, version: index + 1, id: stored.id, schema: stored.text };
  }

  compatible(subject: string, version: string, body: unknown): { is_compatible: boolean } {
    const candidate = this.parse(body);
    const against = version === 'latest' ? this.versionList(subject) : [this.versionList(subject)[Number(version) - 1]];
    if (against.some((s) => s === undefined)) throw new HttpError(404, 40402, `Version ${version} not found`);
    return { is_compatible: this.incompatibility(subject, candidate.type, against as StoredSchema[]) === undefined };
  }

  config(subject: string | undefined): { compatibilityLevel: string } {
    if (subject === undefined) return { compatibilityLevel: this.globalCompatibility };
    const level = this.configs.get(subject);
    if (level === undefined) {
      throw new HttpError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
    }
    return { compatibilityLevel: level };
  }

  setConfig(subject: string | undefined, body: unknown): { compatibility: string } {
    const level = String((body as { compatibility?: unknown } | null)?.compatibility ?? '').toUpperCase();
    if (!COMPATIBILITY_LEVELS.has(level)) throw new HttpError(422, 42203, `Invalid compatibility level: ${level}`);
    if (subject === undefined) this.globalCompatibility = level;
    else this.configs.set(subject, level);
    return { compatibility: level };
  }

  deleteSubject(subject: string): number[] {
    const versions = this.versionsOf(subject);
    this.subjects.delete(subject);
    this.configs.delete(subject);
    return versions;
  }

  private versionList(subject: string): StoredSchema[] {
    const versions = this.subjects.get(subject);
    if (versions === undefined) throw new HttpError(404, 40401, `Subject '${subject}' not found.`);
    return versions;
  }

  private parse(body: unknown): { text: string; type: avsc.Type } {
    const request = body as { schema?: unknown; schemaType?: unknown; references?: unknown } | null;
    if (request?.schemaType !== undefined && request.schemaType !== 'AVRO') {
      throw new HttpError(422, 42201, `This local registry serves Avro only, not ${String(request.schemaType)}`);
    }
    if (Array.isArray(request?.references) && request.references.length > 0) {
      throw new HttpError(422, 42201, 'This local registry does not support schema references');
    }
    if (typeof request?.schema !== 'string') throw new HttpError(422, 42201, 'Invalid schema: "schema" must be a string');
    try {
      const json = JSON.parse(request.schema) as avsc.Schema;
      // Whitespace does not make a new schema; anything else (doc, defaults) does, as in Confluent's.
      return { text: JSON.stringify(json), type: avsc.Type.forSchema(json) };
    } catch (error) {
      throw new HttpError(422, 42201, `Invalid schema: ${(error as Error).message}`);
    }
  }

  private incompatibility(subject: string, candidate: avsc.Type, versions: readonly StoredSchema[]): string | undefined {
    const level = this.configs.get(subject) ?? this.globalCompatibility;
    if (level === 'NONE' || versions.length === 0) return undefined;
    const against = level.endsWith('_TRANSITIVE') ? versions : versions.slice(-1);
    const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
    const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
    for (const earlier of against) {
      try {
        if (backward) candidate.createResolver(earlier.type); // new readers read old data
        if (forward) earlier.type.createResolver(candidate); // old readers read new data
      } catch (error) {
        return `${level} check against schema id ${earlier.id} failed: ${(error as Error).message}`;
      }
    }
    return undefined;
  }
}

type Handler = (match: RegExpMatchArray, body: unknown) => unknown;

function routes(registry: Registry): [string, RegExp, Handler][] {
  const name = (m: RegExpMatchArray, i = 1): string => decodeURIComponent(m[i] ?? '');
  return [
    ['GET', /^\/schemas\/ids\/(\d+)$/, (m) => registry.schemaById(Number(m[1]))],
    ['GET', /^\/subjects$/, () => registry.subjectNames()],
    ['GET', /^\/subjects\/([^/]+)\/versions$/, (m) => registry.versionsOf(name(m))],
    ['POST', /^\/subjects\/([^/]+)\/versions$/, (m, body) => registry.register(name(m), body)],
    ['GET', /^\/subjects\/([^/]+)\/versions\/([^/]+)$/, (m) => registry.version(name(m), name(m, 2))],
    ['POST', /^\/subjects\/([^/]+)$/, (m, body) => registry.lookup(name(m), body)],
    ['DELETE', /^\/subjects\/([^/]+)$/, (m) => registry.deleteSubject(name(m))],
    ['GET', /^\/config$/, () => registry.config(undefined)],
    ['PUT', /^\/config$/, (_m, body) => registry.setConfig(undefined, body)],
    ['GET', /^\/config\/([^/]+)$/, (m) => registry.config(name(m))],
    ['PUT', /^\/config\/([^/]+)$/, (m, body) => registry.setConfig(name(m), body)],
    [
      'POST',
      /^\/compatibility\/subjects\/([^/]+)\/versions\/([^/]+)$/,
      (m, body) => registry.compatible(name(m), name(m, 2), body),
    ],
  ];
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 400, 'Request body is not JSON');
  }
}

function reply(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
  response.end(JSON.stringify(payload));
}

/** Starts a local registry; resolves once it listens. */
export async function startLocalSchemaRegistry(options: LocalSchemaRegistryOptions = {}): Promise<LocalSchemaRegistry> {
  const registry = new Registry();
  const table = routes(registry);
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    requests.push(`${request.method ?? 'GET'} ${path}`);
    readBody(request)
      .then((body) => {
        for (const [method, pattern, handle] of table) {
          const match = request.method === method ? path.match(pattern) : null;
          if (match !== null) return reply(response, 200, handle(match, body));
        }
        throw new HttpError(404, 404, `${request.method ?? ''} ${path} is not served by this local registry`);
      })
      .catch((error: unknown) => {
        const http = error instanceof HttpError ? error : new HttpError(500, 50001, (error as Error).message);
        reply(response, http.status, { error_code: http.errorCode, message: http.message });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const portFlag = process.argv.indexOf('--port');
  const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : 8081;
  const registry = await startLocalSchemaRegistry({ port });
  console.log(`local schema registry (in memory) listening on ${registry.url}`);
  const stop = (): void => void registry.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
