/**
 * The tokenizer port over gpt-tokenizer's `o200k_base` encoding (GPT-4o, GPT-4.1, o-series):
 * a pure-JS BPE whose counts match OpenAI's tiktoken. Loading its vocabulary costs ~220 ms, so it
 * is imported on first use only (its own chunk in the bundle), never at the CLI's start.
 */

import type { CountTokens, Tokenizer } from '../../ports/tokenizer.js';

export const GPT_TOKENIZER_ENCODING = 'o200k_base';

export function createGptTokenizer(): Tokenizer {
  let loading: Promise<CountTokens> | undefined;
  return {
    encoding: GPT_TOKENIZER_ENCODING,
    load() {
      loading ??= import('gpt-tokenizer/encoding/o200k_base').then((module) => {
        // A step's output may quote `<|endoftext|>`; it is text here, never a control token
        // (by default the library throws on it).
        const plain = { disallowedSpecial: new Set<string>() };
        return (text: string) => module.countTokens(text, plain);
      });
      return loading;
    },
  };
}
