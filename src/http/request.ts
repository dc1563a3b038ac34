import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

/** Limits on one request; every request sagewheels sends has all four. */
export interface RequestBounds {
  /** To open the connection. */
  connectMs: number;
  /** With nothing arriving: before the answer's headers (counted once the request is sent) and between body bytes. */
  idleMs: number;
  /** The whole request, body included. */
  totalMs: number;
  /** The answer's body; a larger one is refused, not read. */
  maxBytes: number;
}

/** For API calls and small text: JSON and pages are far below 32 MiB. */
export const API_BOUNDS: RequestBounds = {
  connectMs: 30_000,
  idleMs: 60_000,
  totalMs: 15 * 60_000,
  maxBytes: 32 * 2 ** 20,
};

/** A request or its answer broke a bound: said in one line with the host and the bound. */
export class RequestBoundError extends Error {
  override name = 'RequestBoundError';
  constructor(
    readonly bound: 'time' | 'size',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const agents = new Map<string, Dispatcher>();
/** One connection pool per set of timeouts; with `proxy`, the one that honours https_proxy and no_proxy. */
function agent(bounds: RequestBounds, proxy: boolean): Dispatcher {
  const key = `${bounds.connectMs}/${bounds.idleMs}/${proxy}`;
  let made = agents.get(key);
  if (!made) {
    const options = { connectTimeout: bounds.connectMs, headersTimeout: bounds.idleMs, bodyTimeout: bounds.idleMs };
    made = proxy ? new EnvHttpProxyAgent(options) : new Agent(options);
    agents.set(key, made);
  }
  return made;
}

const hostOf = (input: string | URL | Request): string =>
  new URL(input instanceof Request ? input.url : input.toString()).host;

/** undici's and AbortSignal's errors as what they mean, naming the host and the bound that was broken. */
export function explainBound(error: unknown, host: string, bounds: RequestBounds): unknown {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  const code = e?.code ?? e?.cause?.code;
  const seconds = (ms: number) => `${ms / 1000} s`;
  const timedOut = (what: string) => new RequestBoundError('time', `timed out: ${host} ${what}`, { cause: error });
  if (code === 'UND_ERR_CONNECT_TIMEOUT')
    return timedOut(`did not accept a connection within ${seconds(bounds.connectMs)}`);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return timedOut(`did not answer within ${seconds(bounds.idleMs)}`);
  if (code === 'UND_ERR_BODY_TIMEOUT')
    return timedOut(`sent nothing for ${seconds(bounds.idleMs)} in the middle of its answer`);
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError')
    return timedOut(`took longer than the ${seconds(bounds.totalMs)} a request may take`);
  return error;
}

/** The body, cut off with an error past `maxBytes`, its stream errors explained. */
function guardBody(body: ReadableStream<Uint8Array>, host: string, bounds: RequestBounds): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let size = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        size += value.byteLength;
        if (size > bounds.maxBytes) {
          const error = new RequestBoundError('size', `${host} sent more than the ${bounds.maxBytes} allowed bytes`);
          await reader.cancel(error).catch(() => undefined);
          return controller.error(error);
        }
        controller.enqueue(value);
      } catch (error) {
        controller.error(explainBound(error, host, bounds));
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * fetch with every bound: connect, idle and total time, and the body's size (a body that
 * announces more is refused before it is read; one that sends more is cut off). `signal`
 * (the policy's cancel) aborts requests in flight.
 */
export function boundedFetch(
  bounds: RequestBounds = API_BOUNDS,
  options: { signal?: AbortSignal; proxy?: boolean } = {},
): typeof fetch {
  return async (input, init) => {
    const host = hostOf(input);
    const signals = [AbortSignal.timeout(bounds.totalMs), init?.signal, options.signal].filter(
      (s): s is AbortSignal => s !== undefined && s !== null,
    );
    let response: Response;
    try {
      response = await fetch(input, {
        ...init,
        signal: AbortSignal.any(signals),
        dispatcher: agent(bounds, options.proxy ?? false),
      } as unknown as RequestInit);
    } catch (error) {
      throw explainBound(error, host, bounds);
    }
    const announced = Number(response.headers.get('content-length') ?? NaN);
    if (announced > bounds.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new RequestBoundError(
        'size',
        `${host} announces ${announced} bytes, more than the ${bounds.maxBytes} allowed bytes`,
      );
    }
    if (!response.body) return response;
    const guarded = new Response(guardBody(response.body, host, bounds), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    // A Response made here has no URL of its own; @huggingface/hub reads it on redirects.
    Object.defineProperties(guarded, {
      url: { value: response.url },
      redirected: { value: response.redirected },
    });
    return guarded;
  };
}
