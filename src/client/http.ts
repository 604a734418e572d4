/**
 * Calling an operation over HTTP: `POST /api/<operation>` with the JSON input, the bearer token
 * and the actor header; an error answer (`{ error: { code, message, details } }`) becomes a
 * ClientError carrying the same code and the HTTP status.
 */

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** A refusal or failure as the server (or the network) reported it. */
export class ClientError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** The HTTP status; 0 when no answer came (the server is down or unreachable). */
  readonly status: number;

  constructor(
    code: string,
    message: string,
    options: { details?: Readonly<Record<string, unknown>>; status: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClientError';
    this.code = code;
    this.details = options.details ?? {};
    this.status = options.status;
  }

  /** Worth trying again later: the server was unreachable or said it is unavailable. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 503;
  }
}

export interface HttpSettings {
  readonly baseUrl: string;
  readonly token?: string | null | undefined;
  readonly actor?: string | undefined;
  readonly fetch: FetchLike;
}

interface ErrorBody {
  readonly error?: { code?: unknown; message?: unknown; details?: unknown };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function postOperation(
  settings: HttpSettings,
  operation: string,
  input: unknown,
): Promise<unknown> {
  return requestJson(settings, 'POST', `/api/${encodeURIComponent(operation)}`, input ?? {});
}

/** A JSON request to the server with the token and actor; the answer parsed, or a ClientError. */
export async function requestJson(
  settings: HttpSettings,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (settings.token) headers['authorization'] = `Bearer ${settings.token}`;
  if (settings.actor) headers['x-bosun-actor'] = settings.actor;
  const what = path.replace(/^\/api\//, '');
  let response: Response;
  try {
    response = await settings.fetch(`${settings.baseUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new ClientError('unavailable', `${what}: cannot reach ${settings.baseUrl}`, {
      status: 0,
      cause: error,
    });
  }
  const text = await response.text();
  if (response.ok) return parseJson(text);
  throw errorOf(response.status, text, what);
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An error answer (`{ error: { code, message, details } }`, else the status) as a ClientError. */
function errorOf(status: number, text: string, what: string): ClientError {
  const body = parseJson(text);
  const error = isRecord(body) ? (body as ErrorBody).error : undefined;
  return new ClientError(
    typeof error?.code === 'string' ? error.code : status >= 500 ? 'internal' : 'invalid_input',
    typeof error?.message === 'string'
      ? error.message
      : `${what}: HTTP ${status} ${text.slice(0, 200)}`,
    { details: isRecord(error?.details) ? error.details : {}, status },
  );
}

/**
 * Whether the server refuses the token, asked with a plain `GET <path>` carrying it (for the event
 * stream: a refused WebSocket upgrade shows only as a close, 1006 in browsers, so the stream asks
 * over HTTP). The `unauthorized` ClientError on 401; null on any other answer, or none.
 */
export async function refusedToken(
  settings: HttpSettings,
  path: string,
): Promise<ClientError | null> {
  try {
    await requestJson(settings, 'GET', path);
    return null;
  } catch (error) {
    return error instanceof ClientError && error.status === 401 ? error : null;
  }
}
