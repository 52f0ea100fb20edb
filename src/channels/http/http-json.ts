/**
 * JSON over HTTP/1.1 with keep-alive (undici), shared by the FCM, Huawei, WeChat and webhook
 * providers, plus the status classification they have in common.
 */
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';

/** A response with its body read (JSON when it parses, else text). */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
  text: string;
}

/** Creates a keep-alive agent; `connections` caps sockets per origin. */
export function createAgent(connections: number): Agent {
  return new Agent({ connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
}

/** Sends a request and reads the whole body. Rejects on network errors and aborts. */
export async function httpRequest(
  dispatcher: Dispatcher,
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
): Promise<HttpResponse> {
  const response = await request(url, {
    dispatcher,
    method: init.method,
    headers: init.headers,
    body: init.body,
    signal: init.signal,
  });
  const text = await response.body.text();
  let json: unknown;
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: response.statusCode, headers: response.headers, json, text };
}

/** HTTP statuses where the same request may succeed later. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** A bounded, single-line snippet of a response body for a result reason. */
export function snippet(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
