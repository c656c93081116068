export { renderChatTemplate, ChatTemplateError, type ChatMessage, type RenderOptions } from './render.js';
export { chooseChatTemplate, detectTemplateFamily, type ChosenTemplate } from './choose.js';
export { endOfTurnTokens } from './end-of-turn.js';
export { commonPrefixLength } from './prefix.js';
export { BUILTIN_TEMPLATES, type TemplateFamily } from './templates.js';
