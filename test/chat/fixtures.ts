// Shared conversations for the chat-template tests.
import type { ChatMessage } from '../../src/chat/render.js';

/** system, user, assistant, user — rendered with a generation prompt in the tests. */
export const THREE_TURNS: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content: 'It is 4.' },
  { role: 'user', content: 'And 3+3?' },
];

export const NO_SYSTEM: ChatMessage[] = THREE_TURNS.slice(1);
