/**
 * The dashboard's one way to the server: the typed client of src/client/, with the token kept in
 * localStorage. A 401 from any call forgets the token and shows the sign-in form again.
 */

import type { ReactNode } from 'react';
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { createClient } from '../../src/client/index.js';
import type {
  JournalEvent,
  OpenApiDocument,
  OperationInput,
  OperationName,
  OperationOutput,
} from '../../src/client/index.js';

export type { JournalEvent };

const TOKEN_KEY = 'bosun.token';

export const storedToken = (): string | null => localStorage.getItem(TOKEN_KEY);
export const storeToken = (token: string | null): void =>
  token === null ? localStorage.removeItem(TOKEN_KEY) : localStorage.setItem(TOKEN_KEY, token);

/** The server the page came from (the dashboard is served by `bosun serve` itself). */
export const baseUrl = (): string => window.location.origin;

/** An operation's output type, or unknown for the few the catalog does not type by name. */
export type Out<N extends string> = N extends OperationName ? OperationOutput<N> : unknown;
export type In<N extends string> = N extends OperationName
  ? OperationInput<N>
  : Record<string, unknown>;

export interface Api {
  call<N extends string>(name: N, input: In<N>): Promise<Out<N>>;
  /** The server's OpenAPI document (the operations' schemas, for forms). */
  openapi(): Promise<OpenApiDocument>;
  /** Follows the journal (`onOpen` each time the stream is up); returns the function that stops. */
  follow(
    filter: { run?: string; project?: string; kinds?: string[] },
    onEvent: (event: JournalEvent) => void,
    onOpen?: () => void,
  ): () => void;
}

/** An error as the dashboard shows it: the server's message, and the field it names. */
export function describeError(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return e.code ? `${e.message ?? ''} (${e.code})` : String(e.message ?? error);
}

const isUnauthorized = (error: unknown): boolean => {
  const e = error as { code?: string; status?: number };
  return e.code === 'unauthorized' || e.status === 401;
};

const ApiContext = createContext<Api | null>(null);

export function ApiProvider(props: {
  token: string;
  onUnauthorized: () => void;
  children: ReactNode;
}) {
  const { token, onUnauthorized } = props;
  const [api] = useState<Api>(() => {
    const client = createClient({ baseUrl: baseUrl(), token });
    // One untyped path behind Api's typed `call` (which also admits the few untyped operations).
    const untyped = client as unknown as {
      call(name: string, input: unknown): Promise<unknown>;
    };
    /** A request whose 401 signs the page out. */
    const guarded = async <T,>(request: () => Promise<T>): Promise<T> => {
      try {
        return await request();
      } catch (error) {
        if (isUnauthorized(error)) onUnauthorized();
        throw error;
      }
    };
    return {
      call: (name, input) => guarded(() => untyped.call(name, input) as Promise<Out<typeof name>>),
      openapi: () => guarded(() => client.openapi()),
      follow(filter, onEvent, onOpen) {
        const subscription = client.events(filter, {
          onEvent,
          onState: (state) => {
            if (state === 'open') onOpen?.();
          },
          onError: (error) => {
            if (isUnauthorized(error)) onUnauthorized();
          },
        });
        return () => subscription.close();
      },
    };
  });
  return <ApiContext.Provider value={api}>{props.children}</ApiContext.Provider>;
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}

export interface Query<T> {
  readonly data: T | undefined;
  readonly error: string | null;
  readonly loading: boolean;
  reload(): void;
}

/**
 * Runs `load` when `key` changes, on reload and when the window gets the focus back, keeping the
 * last answer shown (and nothing while `load` is null).
 */
export function useLoad<T>(load: (() => Promise<T>) | null, key: string): Query<T> {
  const [state, setState] = useState<{ data?: T; error: string | null }>({ error: null });
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    if (loadRef.current === null) return;
    let live = true;
    setLoading(true);
    loadRef
      .current()
      .then(
        (data) => live && setState({ data, error: null }),
        (error: unknown) => live && setState((s) => ({ ...s, error: describeError(error) })),
      )
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  // Back from the terminal: what the CLI or an agent changed meanwhile shows without a reload
  // (record writes are in the audit log, not the journal the page follows).
  useEffect(() => {
    window.addEventListener('focus', reload);
    return () => window.removeEventListener('focus', reload);
  }, [reload]);
  return { data: state.data, error: state.error, loading, reload };
}

/** Calls the operation `name` with `input` (see useLoad). */
export function useQuery<N extends string>(
  name: N,
  input: In<N> | null,
  key: string = JSON.stringify(input),
): Query<Out<N>> {
  const api = useApi();
  return useLoad(input === null ? null : () => api.call(name, input), `${name}/${key}`);
}

/**
 * Follows the journal while mounted: `onEach` sees every event matching `filter`, `onChange` is
 * called at most every 150 ms while they arrive (to refetch what they changed), and once the
 * stream is up — the stream starts from that moment, so what happened between the page's first
 * fetch and then is refetched rather than missed.
 */
export function useJournal(
  filter: { run?: string; project?: string; kinds?: string[] } | null,
  onChange: () => void,
  onEach?: (event: JournalEvent) => void,
): void {
  const api = useApi();
  const callback = useRef(onChange);
  callback.current = onChange;
  const each = useRef(onEach);
  each.current = onEach;
  const key = JSON.stringify(filter);
  useEffect(() => {
    if (filter === null) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const changed = () => {
      timer ??= setTimeout(() => {
        timer = null;
        callback.current();
      }, 150);
    };
    const stop = api.follow(
      filter,
      (event) => {
        each.current?.(event);
        changed();
      },
      changed,
    );
    return () => {
      if (timer) clearTimeout(timer);
      stop();
    };
  }, [api, key]);
}

export interface Action {
  readonly busy: boolean;
  /** The last failure, as describeError says it (prefixed with its label). */
  readonly error: string | null;
  /** Runs `work`, busy meanwhile; a failure is kept in `error` and gives false. */
  run(work: () => Promise<unknown>, label?: string): Promise<boolean>;
}

/** What a button or form starts: its busy state and the server's refusal to show. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (work: () => Promise<unknown>, label?: string) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (e) {
      setError(label ? `${label}: ${describeError(e)}` : describeError(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
