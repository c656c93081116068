// mistral3 (Ministral 3 text): llama's graph plus optional Llama-4-style attention temperature
// scaling and YaRN. Files without those are exactly llama-shaped and load here; the others are
// refused with the reason. llama.cpp: src/models/mistral3.cpp.
import { UnsupportedModelError, readBaseConfig, optionalNumber } from './hparams.js';
import { assertFullRotary } from './llama.js';
import { registerArchitecture } from './registry.js';

registerArchitecture({
  name: 'mistral3',
  readConfig(file) {
    const temp = optionalNumber(file, 'mistral3.attention.temperature_scale') ?? 0;
    if (temp !== 0) throw new UnsupportedModelError(`${file.path}: mistral3 attention temperature scaling (attention.temperature_scale = ${temp}) is not supported`);
    return assertFullRotary(file, readBaseConfig(file, 'mistral3'));
  },
});
