export { createGptTokenizer, GPT_TOKENIZER_ENCODING } from './gpt-tokenizer-counter.js';
