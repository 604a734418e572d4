/**
 * The tokenizer port: how many tokens a text costs a model. Core code (the context packer) takes
 * a plain counting function; the adapter loads the real tokenizer only when a step needs it,
 * since its vocabulary is large and most commands never count a token.
 */

/** Tokens of `text`, exactly as the tokenizer encodes it (no special tokens, no chat framing). */
export type CountTokens = (text: string) => number;

export interface Tokenizer {
  /** The encoding's name (`o200k_base`), recorded with the counts it produced. */
  readonly encoding: string;
  /** Loads the vocabulary once (later calls share it) and resolves with the counter. */
  load(): Promise<CountTokens>;
}
