// POST /v1/embeddings: Model.embed on each input (pooled, unit-length hidden states), returned as
// float arrays or, as the official clients ask by default, base64 of little-endian float32.
import type { ServerResponse } from 'node:http';
import { checkModelName, type ServerContext } from './context.js';
import { invalidParam } from './errors.js';
import { sendJson } from './http-io.js';
import { parseEmbeddingRequest } from './request.js';
import type { Body } from './request-fields.js';

export async function serveEmbeddings(ctx: ServerContext, res: ServerResponse, body: Body): Promise<void> {
  const req = parseEmbeddingRequest(body);
  checkModelName(ctx, req.model);
  const model = ctx.model;
  let promptTokens = 0;
  req.inputs.forEach((text, i) => {
    const n = model.encode(text, { addSpecial: true, parseSpecial: false }).length;
    if (n === 0) throw invalidParam(`input[${i}]`, `input[${i}] has no tokens`);
    if (n > model.defaultContext) {
      throw invalidParam(`input[${i}]`, `input[${i}] is ${n} tokens; the model's context is ${model.defaultContext}`, 'context_length_exceeded');
    }
    promptTokens += n;
  });
  const vectors = await model.embed(req.inputs);
  sendJson(res, 200, {
    object: 'list',
    data: vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: req.encoding === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v),
    })),
    model: ctx.modelId,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}
