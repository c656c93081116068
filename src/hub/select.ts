// Picking one GGUF from a repository's file list by quant tag (case-insensitive), or a default.
// The same rules run on the hub's listing and, offline, on the files already in the cache.
import { HubError } from './errors.js';

export interface RepoFile {
  /** Path inside the repository (may include folders). */
  path: string;
  size: number;
  /** sha256 of the content (from the LFS pointer), when the hub reports it. */
  sha256?: string;
  /** Git blob id (sha1 of "blob <size>\0" + content) for files stored without LFS. */
  gitOid?: string;
}

export interface Selection {
  file: RepoFile;
  /** How it was chosen, for a one-line note to the user: "tag Q8_0", "default Q8_0", "only GGUF file". */
  reason: string;
}

/** Preference order when no tag is given. */
export const DEFAULT_QUANTS = ['Q8_0', 'Q4_K_M'];

const SHARD = /-(\d{5})-of-(\d{5})\.gguf$/i;

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Tokens of a file name: lowercase, split on - and . (underscores stay inside tokens such as q4_k_m). */
function nameTokens(path: string): string[] {
  return baseName(path).toLowerCase().replace(/\.gguf$/, '').split(/[-.]/).filter(Boolean);
}

function isGguf(f: RepoFile): boolean {
  return /\.gguf$/i.test(f.path);
}

/** Multimodal projector files are GGUFs but not language models. */
function isProjector(f: RepoFile): boolean {
  return /(^|[-_.])mmproj([-_.]|$)/i.test(baseName(f.path));
}

/** Does `tag` appear in the name as a run of whole tokens (exact), or with its last token as a `_` prefix (loose)? */
function tagMatch(path: string, tag: string, loose: boolean): boolean {
  const name = nameTokens(path);
  const want = tag.toLowerCase().replace(/\.gguf$/, '').split(/[-.]/).filter(Boolean);
  if (want.length === 0) return false;
  for (let i = 0; i + want.length <= name.length; i++) {
    let ok = true;
    for (let k = 0; k < want.length && ok; k++) {
      const last = k === want.length - 1;
      ok = name[i + k] === want[k] || (loose && last && name[i + k].startsWith(want[k] + '_'));
    }
    if (ok) return true;
  }
  return false;
}

/** Short labels for files in messages: the part of the name that differs between them (e.g. "Q4_K_M"). */
export function fileLabels(files: RepoFile[]): string[] {
  const names = files.map((f) => baseName(f.path).replace(/\.gguf$/i, ''));
  if (names.length < 2) return names.map((n) => `${n}.gguf`);
  let pre = 0;
  while (names.every((n) => pre < n.length && n[pre] === names[0][pre])) pre++;
  // back up to a separator so "Q4_0" and "Q4_K_M" keep their full tags
  while (pre > 0 && !/[-.]/.test(names[0][pre - 1])) pre--;
  const labels = names.map((n) => n.slice(pre));
  return labels.some((l) => l === '') ? names.map((n) => `${n}.gguf`) : labels;
}

function describe(files: RepoFile[]): string {
  return files.length ? fileLabels(files).join(', ') : 'no .gguf files';
}

/** Pick the GGUF file for `tag`, or the default when `tag` is undefined. Throws HubError not-found / ambiguous. */
export function selectFile(files: RepoFile[], repo: string, tag: string | undefined): Selection {
  const ggufs = files.filter((f) => isGguf(f) && !isProjector(f)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)); // code-point order: Q4_0 before Q4_0_4_4
  if (tag === undefined) return selectDefault(ggufs, repo);

  let matches = ggufs.filter((f) => tagMatch(f.path, tag, false));
  if (matches.length === 0) matches = ggufs.filter((f) => tagMatch(f.path, tag, true));
  if (matches.length === 0) {
    throw new HubError('not-found', `no GGUF file matching "${tag}" in ${repo} (available: ${describe(ggufs.filter((f) => !SHARD.test(f.path)))})`);
  }
  const single = matches.filter((f) => !SHARD.test(f.path));
  if (single.length === 1) return { file: single[0], reason: `tag ${tag}` };
  if (single.length === 0) throw splitError(repo, matches);
  throw new HubError('ambiguous', `"${tag}" matches ${single.length} files in ${repo}: ${describe(single)}; add a longer tag, e.g. hf:${repo}:${fileLabels(single)[0]}`);
}

function selectDefault(ggufs: RepoFile[], repo: string): Selection {
  const single = ggufs.filter((f) => !SHARD.test(f.path));
  for (const q of DEFAULT_QUANTS) {
    const m = single.filter((f) => tagMatch(f.path, q, false));
    if (m.length === 1) return { file: m[0], reason: `default ${q}` };
  }
  if (single.length === 1) return { file: single[0], reason: 'only GGUF file' };
  if (single.length === 0 && ggufs.length > 0) throw splitError(repo, ggufs);
  if (single.length === 0) throw new HubError('not-found', `${repo} has no .gguf files`);
  throw new HubError('ambiguous', `${repo} has ${single.length} GGUF files and none is ${DEFAULT_QUANTS.join(' or ')}: ${describe(single)}; pick one, e.g. hf:${repo}:${fileLabels(single)[0]}`);
}

function splitError(repo: string, shards: RepoFile[]): HubError {
  return new HubError('not-found', `${repo}: ${baseName(shards[0].path)} is split into ${shards.length} files; tsllama loads single-file GGUFs (merge them with llama-gguf-split --merge)`);
}
