// The part of the KCIDB I/O schema v5 (kernelci/kcidb-io, v5.0 to v5.3) that
// kcidb.ts writes: checkouts, builds and tests, with the properties the
// schema defines for them (issues and incidents are not modelled). Every
// object is strict, as the schema's additionalProperties: false; ids are
// "<origin>:<anything>", origins [a-z0-9_]+, test paths dot-separated
// segments of [a-zA-Z0-9_-], times RFC 3339, durations seconds. Text may not
// hold a NUL (v5.3). KCIDB_JSON_SCHEMA is the same as JSON Schema, for
// tools that validate without zod.
import { z } from 'zod';

export const KCIDB_ORIGIN = /^[a-z0-9_]+$/;
export const KCIDB_ID = /^[a-z0-9_]+:.*$/;
export const KCIDB_PATH = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/;

/** Highest priority first: a collection's summary status is the first of its tests' statuses in this list. */
export const KCIDB_STATUSES = ['FAIL', 'ERROR', 'MISS', 'PASS', 'DONE', 'SKIP'] as const;
export type KcidbStatus = (typeof KCIDB_STATUSES)[number];

const id = z.string().regex(KCIDB_ID, 'an id "<origin>:<local id>"');
const origin = z.string().regex(KCIDB_ORIGIN, 'an origin of [a-z0-9_]');
const text = z.string().regex(/^[^\0]*$/, 'text without NUL');
const time = z.iso.datetime({ offset: true });
const seconds = z.number().nonnegative();
const misc = z.record(z.string(), z.unknown());
const status = z.enum(KCIDB_STATUSES);
const excerpt = text.max(16384);
const resources = z.array(z.strictObject({ name: z.string().regex(/^[^/\0]+$/), url: z.url() }));

export const kcidbCheckout = z.strictObject({
  id,
  origin,
  tree_name: text.optional(),
  git_repository_url: z.url().optional(),
  git_commit_hash: z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/).optional(),
  git_commit_name: text.optional(),
  git_commit_tags: z.array(text).optional(),
  git_commit_message: text.optional(),
  git_repository_branch: text.optional(),
  git_repository_branch_tip: z.boolean().optional(),
  patchset_files: resources.optional(),
  patchset_hash: z.string().regex(/^(?:[0-9a-f]{64})?$/).optional(),
  message_id: z.email().optional(),
  comment: text.optional(),
  start_time: time.optional(),
  log_url: z.url().optional(),
  log_excerpt: excerpt.optional(),
  valid: z.boolean().optional(),
  misc: misc.optional(),
});

export const kcidbBuild = z.strictObject({
  id,
  checkout_id: id,
  origin,
  comment: text.optional(),
  start_time: time.optional(),
  duration: seconds.optional(),
  architecture: z.string().regex(/^[a-z0-9_]*$/).optional(),
  command: text.optional(),
  compiler: text.optional(),
  input_files: resources.optional(),
  output_files: resources.optional(),
  config_name: text.optional(),
  config_url: z.url().optional(),
  log_url: z.url().optional(),
  log_excerpt: excerpt.optional(),
  status: status.optional(),
  misc: misc.optional(),
});

export const kcidbTest = z.strictObject({
  id,
  build_id: id,
  origin,
  environment: z.strictObject({ compatible: z.array(z.string()).optional(), comment: text.optional(), misc: misc.optional() }).optional(),
  path: z.string().regex(KCIDB_PATH, 'dot-separated segments of [a-zA-Z0-9_-]').optional(),
  comment: text.optional(),
  log_url: z.url().optional(),
  log_excerpt: excerpt.optional(),
  status: status.optional(),
  number: z.strictObject({ value: z.number(), unit: text.optional(), prefix: z.enum(['metric', 'binary']).optional() }).optional(),
  start_time: time.optional(),
  duration: seconds.optional(),
  input_files: resources.optional(),
  output_files: resources.optional(),
  misc: misc.optional(),
});

export const kcidbSchema = z.strictObject({
  version: z.strictObject({ major: z.literal(5), minor: z.int().min(0).max(3).optional() }),
  checkouts: z.array(kcidbCheckout).optional(),
  builds: z.array(kcidbBuild).optional(),
  tests: z.array(kcidbTest).optional(),
});

export type KcidbCheckout = z.infer<typeof kcidbCheckout>;
export type KcidbBuild = z.infer<typeof kcidbBuild>;
export type KcidbTest = z.infer<typeof kcidbTest>;
export type Kcidb = z.infer<typeof kcidbSchema>;

/** The same schema as JSON Schema (draft 2020-12). */
export const KCIDB_JSON_SCHEMA = z.toJSONSchema(kcidbSchema);
