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

export async function postOperation(
  settings: HttpSettings,
  operation: string,
  input: unknown,
): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (settings.token) headers['authorization'] = `Bearer ${settings.token}`;
  if (settings.actor) headers['x-bosun-actor'] = settings.actor;
  const url = `${settings.baseUrl.replace(/\/+$/, '')}/api/${encodeURIComponent(operation)}`;
  let response: Response;
  try {
    response = await settings.fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(input ?? {}),
    });
  } catch (error) {
    throw new ClientError('unavailable', `${operation}: cannot reach ${settings.baseUrl}`, {
      status: 0,
      cause: error,
    });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok) return body;
  const error = isRecord(body) ? (body as ErrorBody).error : undefined;
  throw new ClientError(
    typeof error?.code === 'string'
      ? error.code
      : response.status >= 500
        ? 'internal'
        : 'invalid_input',
    typeof error?.message === 'string'
      ? error.message
      : `${operation}: HTTP ${response.status} ${text.slice(0, 200)}`,
    { details: isRecord(error?.details) ? error.details : {}, status: response.status },
  );
}
