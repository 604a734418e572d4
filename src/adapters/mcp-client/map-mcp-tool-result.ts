/**
 * A `tools/call` result as the text a model reads: text parts as they are, embedded text resources
 * with their URI, and a short placeholder for what a text conversation cannot carry (images,
 * audio, binary resources, links). A result with only structured content is its JSON. Very long
 * results are cut, saying how much was left out, so one tool cannot fill the model's context.
 */

import type { McpToolOutcome } from './mcp-client-settings.js';

/** The most characters of one result the model is given. */
export const MAX_TOOL_RESULT_CHARS = 100_000;

interface ContentPart {
  readonly type: string;
  readonly [key: string]: unknown;
}

export function mapToolResult(result: { readonly [key: string]: unknown }): McpToolOutcome {
  const structured = isRecord(result['structuredContent']) ? result['structuredContent'] : null;
  // A server of protocol 2024-10-07 answers `{ toolResult }` instead of content.
  if (!Array.isArray(result['content']) && 'toolResult' in result) {
    return {
      isError: false,
      text: cut(stringify(result['toolResult'])),
      structuredContent: structured,
    };
  }
  const parts = (Array.isArray(result['content']) ? result['content'] : []) as ContentPart[];
  const texts = parts.map(textOfPart).filter((text) => text !== '');
  const text =
    texts.length > 0 ? texts.join('\n') : structured !== null ? JSON.stringify(structured) : '';
  return { isError: result['isError'] === true, text: cut(text), structuredContent: structured };
}

function textOfPart(part: ContentPart): string {
  switch (part.type) {
    case 'text':
      return typeof part['text'] === 'string' ? part['text'] : '';
    case 'image':
    case 'audio':
      return `[${part.type} ${String(part['mimeType'] ?? '')}, ${base64Bytes(part['data'])} bytes, not shown]`;
    case 'resource': {
      const resource = isRecord(part['resource']) ? part['resource'] : {};
      const uri = String(resource['uri'] ?? '');
      if (typeof resource['text'] === 'string') return `[resource ${uri}]\n${resource['text']}`;
      return `[resource ${uri} ${String(resource['mimeType'] ?? '')}, ${base64Bytes(resource['blob'])} bytes, not shown]`;
    }
    case 'resource_link':
      return `[link ${String(part['name'] ?? '')}: ${String(part['uri'] ?? '')}]`;
    default:
      return `[${part.type} content, not shown]`;
  }
}

function base64Bytes(data: unknown): number {
  if (typeof data !== 'string') return 0;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

function cut(text: string): string {
  if (text.length <= MAX_TOOL_RESULT_CHARS) return text;
  const left = text.length - MAX_TOOL_RESULT_CHARS;
  return `${text.slice(0, MAX_TOOL_RESULT_CHARS)}\n[… ${left} more characters cut]`;
}

function isRecord(value: unknown): value is { readonly [key: string]: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
