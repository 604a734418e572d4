/**
 * Turns what the AI SDK throws (or streams as an error part) into the StepFailure the engine
 * journals: whether a retry could help, and a message a person can act on — which key was
 * refused, which model id was unknown where. A refused key or an unknown model fails the same way
 * every time, so those are not retryable; rate limits, server errors, broken streams and network
 * trouble are. Every failure carries what the attempt spent before it failed.
 */

import {
  APICallError,
  EmptyResponseBodyError,
  InvalidResponseDataError,
  JSONParseError,
  LoadAPIKeyError,
  NoSuchModelError,
  RetryError,
  TypeValidationError,
} from 'ai';
import type { ResolvedModel } from '../../../ports/runner.js';
import { StepFailure } from '../../../shared/step-failure.js';
import type { StepFailureSpend } from '../../../shared/step-failure.js';
import { baseUrlOf } from './llm-models.js';

export interface LlmFailureContext {
  readonly model: ResolvedModel;
  /** The environment variable the key was read from, if any. */
  readonly keyEnv: string | undefined;
  /** The text the model produced before it failed. */
  readonly outputTail: string;
  readonly spent: StepFailureSpend;
}

export function llmFailure(error: unknown, context: LlmFailureContext): StepFailure {
  if (error instanceof StepFailure) {
    return new StepFailure({
      ...error.toJSON(),
      outputTail: error.outputTail || context.outputTail,
      spent: context.spent,
    });
  }
  let attempts = 1;
  let cause = error;
  if (RetryError.isInstance(error)) {
    attempts = error.errors.length;
    cause = error.lastError;
  }
  const { message, retryable, statusCode } = classify(cause, context);
  const retried = attempts > 1 ? ` (gave up after ${attempts} tries)` : '';
  return new StepFailure({
    kind: 'error',
    message: `model '${context.model.name}': ${message}${retried}`,
    retryable,
    outputTail: context.outputTail,
    details: {
      provider: context.model.provider,
      modelId: context.model.model,
      ...(baseUrlOf(context.model) === undefined ? {} : { baseUrl: baseUrlOf(context.model) }),
      ...(statusCode === undefined ? {} : { statusCode }),
      ...(attempts > 1 ? { tries: attempts } : {}),
    },
    spent: context.spent,
  });
}

interface Classified {
  readonly message: string;
  readonly retryable: boolean;
  readonly statusCode?: number;
}

function classify(error: unknown, context: LlmFailureContext): Classified {
  const { model, keyEnv } = context;
  const where = baseUrlOf(model) ?? `the ${model.provider} provider`;
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const said = `${status ?? 'no response'}: ${error.message}`;
    if (status === 401 || status === 403) {
      const key =
        keyEnv === undefined
          ? 'no API key was sent (set api_key_env on the model to the variable holding it)'
          : `check the key in ${keyEnv}`;
      return {
        message: `${where} refused the API key (${said}); ${key}`,
        retryable: false,
        statusCode: status,
      };
    }
    if (status === 404) {
      return {
        message: `${where} does not know model id '${model.model}' (${said})`,
        retryable: false,
        statusCode: status,
      };
    }
    if (status === undefined) {
      return { message: `cannot reach ${where} (${error.message})`, retryable: true };
    }
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    const what =
      status === 429
        ? 'rate limited by'
        : status >= 500
          ? 'server error from'
          : retryable
            ? 'request failed at'
            : 'request refused by';
    return { message: `${what} ${where} (${said})`, retryable, statusCode: status };
  }
  if (NoSuchModelError.isInstance(error)) {
    return {
      message: `${where} does not know model id '${model.model}' (${error.message})`,
      retryable: false,
    };
  }
  if (LoadAPIKeyError.isInstance(error)) {
    return {
      message: `no API key: ${keyEnv === undefined ? error.message : `${keyEnv} is not set`}`,
      retryable: false,
    };
  }
  if (
    JSONParseError.isInstance(error) ||
    TypeValidationError.isInstance(error) ||
    InvalidResponseDataError.isInstance(error) ||
    EmptyResponseBodyError.isInstance(error)
  ) {
    return {
      message: `invalid response from ${where}: ${firstLine(error.message)}`,
      retryable: true,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: `model call failed: ${firstLine(message)}`, retryable: true };
}

function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return newline < 0 ? text : text.slice(0, newline);
}
