// Chat: a conversation over one Session. Every turn re-renders the whole conversation with the
// model's chat template, keeps the part of the KV cache that matches it (the common token prefix)
// and evaluates only the new tokens; the reply streams until an end-of-turn or end-of-generation token.
import type { Model } from '../model/model.js';
import type { GeneratedToken, GenerateParams, Session, StopReason } from '../session/session.js';
import { resolveChatFormat, renderConversationIds, type ChatFormat } from './chat-format.js';
import { commonPrefixLength } from './prefix.js';
import type { ChatMessage } from './render.js';

export interface ChatOptions {
  /** System prompt (the first message). */
  system?: string;
  /** Override the model's template: a built-in family name ('chatml', 'llama3', ...) or Jinja text. */
  template?: string;
  /** More template variables, e.g. { enable_thinking: false } for Qwen3. */
  templateVars?: Record<string, unknown>;
  /** Context length of the chat's own session (ignored when `session` is given). */
  contextLength?: number;
  /** Run the chat in this session (its cache is reused where it matches; the chat does not dispose it). */
  session?: Session;
  /**
   * When the conversation no longer fits the context: 'error' (default) throws ChatContextError;
   * 'drop-oldest' removes the oldest user turns (and their replies) until it fits, keeping the system prompt.
   */
  overflow?: 'error' | 'drop-oldest';
}

/** Generation parameters of one reply (the template's stop tokens/strings are added to yours). */
export type RespondParams = Omit<GenerateParams, 'addSpecial' | 'parseSpecial'>;

export class ChatContextError extends Error {
  constructor(needed: number, nCtx: number) {
    super(`the conversation is ${needed} tokens and the context is ${nCtx}: start over (reset), raise contextLength, or use overflow: 'drop-oldest'`);
    this.name = 'ChatContextError';
  }
}

// Templates chosen by fallback warn once per model, not once per chat.
const warnedModels = new WeakSet<Model>();

export class Chat {
  readonly session: Session;
  readonly format: ChatFormat;
  private messages: ChatMessage[] = [];
  private system: string | undefined;
  private readonly ownsSession: boolean;
  private readonly templateVars: Record<string, unknown> | undefined;
  private readonly overflow: 'error' | 'drop-oldest';
  private busy = false;
  /** Why the last reply ended. */
  lastStopReason: StopReason | null = null;
  /** User turns removed by overflow: 'drop-oldest' so far. */
  droppedTurns = 0;

  constructor(readonly model: Model, opts: ChatOptions = {}) {
    const chatTemplate = model.metadata('tokenizer.chat_template');
    this.format = resolveChatFormat({
      tokenizer: model.tokenizer,
      architecture: model.architecture,
      chatTemplate: typeof chatTemplate === 'string' ? chatTemplate : undefined,
    }, opts.template);
    if (this.format.warning && !warnedModels.has(model)) {
      warnedModels.add(model);
      console.warn(`tsllama: ${this.format.warning}`);
    }
    if (opts.session && opts.session.model !== model) throw new Error('createChat: the session belongs to another model');
    this.ownsSession = !opts.session;
    this.session = opts.session ?? model.createSession({ contextLength: opts.contextLength });
    this.templateVars = opts.templateVars;
    this.overflow = opts.overflow ?? 'error';
    if (this.overflow !== 'error' && this.overflow !== 'drop-oldest') throw new Error(`createChat: overflow must be 'error' or 'drop-oldest', got ${String(this.overflow)}`);
    this.system = opts.system;
  }

  /** The conversation so far, system prompt first. */
  get history(): readonly ChatMessage[] {
    return this.system !== undefined ? [{ role: 'system', content: this.system }, ...this.messages] : this.messages;
  }

  addUser(text: string): this {
    return this.add('user', text);
  }

  /** Appends a known assistant reply (no generation), e.g. to replay a saved conversation. */
  addAssistant(text: string): this {
    return this.add('assistant', text);
  }

  /** Replaces the system prompt (undefined removes it); the rest of the conversation is kept. */
  setSystem(text: string | undefined): void {
    if (text !== undefined && typeof text !== 'string') throw new TypeError('system prompt must be a string');
    this.system = text;
  }

  /** Removes and returns the last message (e.g. a user turn that did not fit the context). */
  removeLastMessage(): ChatMessage | undefined {
    this.assertIdle();
    return this.messages.pop();
  }

  /** Forgets the conversation (the system prompt stays); the KV cache is reused where it still matches. */
  reset(): void {
    this.assertIdle();
    this.messages = [];
    this.droppedTurns = 0;
  }

  /** The whole conversation rendered with the template, opening the assistant's turn. */
  renderText(): string {
    return this.render().text;
  }

  /** The ids of the whole conversation, opening the assistant's turn. */
  renderIds(): number[] {
    return this.render().ids;
  }

  /**
   * The ids the next respond() would evaluate: the rendered conversation after the prefix already
   * in the session's KV cache. Runs nothing.
   */
  renderTurn(): number[] {
    const ids = this.renderIds();
    return ids.slice(this.reusablePrefix(ids));
  }

  /** Generates the assistant's reply to the conversation, streaming tokens; the reply joins the history. */
  async *respond(params: RespondParams = {}): AsyncGenerator<GeneratedToken, StopReason> {
    this.assertIdle();
    const last = this.messages.at(-1);
    if (!last || last.role !== 'user') throw new Error('respond: add a user message first (the conversation must end with a user turn)');
    this.busy = true;
    this.lastStopReason = null;
    let reply = '';
    let gen: AsyncGenerator<GeneratedToken, StopReason> | null = null;
    try {
      const ids = this.fitToContext(params.maxTokens);
      const keep = this.reusablePrefix(ids);
      this.session.truncate(keep);
      gen = this.session.generate(ids.slice(keep), {
        ...params,
        stopTokens: [...this.format.stopTokens, ...(params.stopTokens ?? [])],
        stop: [...this.format.stopStrings, ...(params.stop ?? [])],
      });
      for (;;) {
        const step = await gen.next();
        if (step.done) {
          this.lastStopReason = step.value;
          return step.value;
        }
        reply += step.value.text;
        yield step.value;
      }
    } finally {
      this.busy = false;
      if (gen) {
        // Also a reply cut short (abort, an error, or the consumer stopped iterating) joins the
        // history, so the conversation keeps alternating and matches what the cache holds.
        if (this.lastStopReason === null) {
          this.lastStopReason = 'abort';
          await gen.return('abort');
        }
        this.messages.push({ role: 'assistant', content: reply });
      }
    }
  }

  /** respond() collected into one string. */
  async respondText(params: RespondParams = {}): Promise<string> {
    let text = '';
    for await (const t of this.respond(params)) text += t.text;
    return text;
  }

  /** Disposes the session if the chat created it. */
  dispose(): void {
    if (this.ownsSession) this.session.dispose();
  }

  private add(role: 'user' | 'assistant', text: string): this {
    this.assertIdle();
    if (typeof text !== 'string') throw new TypeError(`${role} message must be a string`);
    this.messages.push({ role, content: text });
    return this;
  }

  private render(): { text: string; ids: number[] } {
    return renderConversationIds(this.format, this.model.tokenizer, [...this.history], {
      addGenerationPrompt: true,
      extra: this.templateVars,
    });
  }

  /** Cache entries to keep: the shared prefix, less one when all is cached (the last token must run to give logits). */
  private reusablePrefix(ids: number[]): number {
    return Math.min(commonPrefixLength(this.session.tokens, ids), ids.length - 1);
  }

  /** The rendered ids, after dropping the oldest turns if allowed and needed; throws when they cannot fit. */
  private fitToContext(maxTokens: number | undefined): number[] {
    const nCtx = this.session.nCtx;
    let ids = this.renderIds();
    if (this.overflow === 'drop-oldest') {
      // Leave room for the reply as well (up to half the context).
      const reserve = Math.min(maxTokens === undefined ? 128 : maxTokens < 0 ? nCtx : maxTokens, Math.floor(nCtx / 2));
      while (ids.length + reserve > nCtx && this.dropOldestTurn()) ids = this.renderIds();
    }
    if (ids.length >= nCtx) throw new ChatContextError(ids.length, nCtx);
    return ids;
  }

  /** Removes the first user turn and what follows it up to the next user turn; false if only the last remains. */
  private dropOldestTurn(): boolean {
    const next = this.messages.findIndex((m, i) => i > 0 && m.role === 'user');
    if (next < 0) return false;
    this.messages.splice(0, next);
    this.droppedTurns++;
    return true;
  }

  private assertIdle(): void {
    if (this.busy) throw new Error('chat: a reply is being generated; wait for it (or abort it) first');
  }
}

export function createChat(model: Model, opts: ChatOptions = {}): Chat {
  return new Chat(model, opts);
}
