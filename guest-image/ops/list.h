/*
 * The agent's op families, one line each: FAMILY(x) is the NULL-terminated
 * array `const struct op x_ops[]` of ops/x.c (struct op: agent.h). A
 * request's op is looked up by name in these arrays.
 */
FAMILY(rw)
FAMILY(map)
FAMILY(hold)
FAMILY(held)
FAMILY(release)
FAMILY(cow)
FAMILY(kcore)
