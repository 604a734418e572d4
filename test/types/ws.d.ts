// The `ws` package (a dependency of @hono/node-ws) ships no types and @types/ws is not installed:
// the little of it the tests use, declared here.
declare module 'ws' {
  export class WebSocket {
    constructor(url: string, options?: { headers?: Record<string, string> });
    static readonly OPEN: number;
    readonly readyState: number;
    onopen: ((event: unknown) => void) | null;
    onmessage: ((event: { data: unknown }) => void) | null;
    onclose: ((event: { code: number; reason: string }) => void) | null;
    onerror: ((event: unknown) => void) | null;
    on(
      event: 'unexpected-response',
      listener: (request: unknown, response: { statusCode?: number }) => void,
    ): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'message', listener: (data: Buffer) => void): this;
    on(event: 'open', listener: () => void): this;
    send(data: string): void;
    pause(): void;
    resume(): void;
    terminate(): void;
    close(code?: number, reason?: string): void;
  }
  export class WebSocketServer {
    constructor(options: Record<string, unknown>, listening?: () => void);
    on(event: 'connection', listener: (socket: WebSocket, request: { url?: string }) => void): this;
    address(): { port: number };
    close(done?: () => void): void;
  }
}
