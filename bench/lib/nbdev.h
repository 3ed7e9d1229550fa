/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nbdev: thin client of /dev/notibench (the ABI is include/notibench.h).
 *
 * Every function returns 0 (or a file descriptor) on success and -errno on
 * failure; none prints. nbdev_strerror() turns an error into a message that
 * says what to do about it (e.g. "module not loaded").
 */
#ifndef NBDEV_H
#define NBDEV_H

#include <stdint.h>
#include "notibench.h"

/* Session: open/close /dev/notibench. open returns the fd or -errno. */
int nbdev_open(void);
int nbdev_close(int fd);

/* Raw ioctl returning 0/positive or -errno: for tests that pass bad arguments. */
int nbdev_ioctl(int fd, unsigned long request, void *arg);

int nbdev_version(int fd, struct nb_version *v);
int nbdev_attach(int fd, const struct nb_attach *a);
int nbdev_detach(int fd);
int nbdev_reset(int fd);

/* Fills *s (caller-owned, e.g. from nbdev_stats_new()). */
int nbdev_stats(int fd, struct nb_stats *s);
/* Zeroed heap copy of struct nb_stats (about 28 KiB); free() it. NULL on ENOMEM. */
struct nb_stats *nbdev_stats_new(void);

/* Copies up to max ring entries, oldest first; *count gets how many. */
int nbdev_ring(int fd, struct nb_ring_entry *buf, unsigned int max, unsigned int *count);

/* Device access to the ZAP mirror over [start, start + len); a->hits etc. are out. */
int nbdev_access(int fd, uint64_t start, uint64_t len, uint32_t flags, struct nb_access *a);

/*
 * Building a struct nb_attach. nb_attach_init zeroes it and sets the ABI
 * version, mode, K, every event in event_mask and the default callbacks of
 * the mode (OPS: START and END; INTERVAL: INTERVAL), all with model COUNT.
 */
void nb_attach_init(struct nb_attach *a, enum nb_attach_mode mode, unsigned int k);
/* Sets callback cb's cost and enables cb. */
void nb_set_cost(struct nb_attach *a, enum nb_callback cb, enum nb_model model, uint64_t ns);
/* INSN model on cb: each call executes insns instructions (plus a constant); enables cb. */
void nb_set_insn(struct nb_attach *a, enum nb_callback cb, uint64_t insns);
/* SMMU model on cb: ns per page up to threshold pages, else global_ns; enables cb. */
void nb_set_smmu(struct nb_attach *a, enum nb_callback cb, uint64_t ns_per_page,
		 uint64_t threshold, uint64_t global_ns);
void nb_set_callbacks(struct nb_attach *a, uint32_t cb_mask);
void nb_set_range(struct nb_attach *a, uint64_t start, uint64_t len);

/*
 * The callback that sees each invalidation of the attachment's mode once:
 * INTERVAL in interval mode, START in ops mode (END, TLB... see it again).
 * Per-op predictions and per-call figures count its calls.
 */
static inline enum nb_callback nb_main_callback(const struct nb_attach *a)
{
	return a->mode == NB_MODE_INTERVAL ? NB_CB_INTERVAL : NB_CB_START;
}

/* Statistics helpers. */
static inline const struct nb_cell *nb_cell_of(const struct nb_stats *s, enum nb_callback cb,
					    enum nb_event_slot ev)
{
	return &s->cell[cb][ev];
}

/* Calls of cb on event ev, and over every event. */
uint64_t nb_calls(const struct nb_stats *s, enum nb_callback cb, enum nb_event_slot ev);
uint64_t nb_calls_total(const struct nb_stats *s, enum nb_callback cb);
/* Field-by-field sum of cb's cells over every event (ns_max: the maximum). */
void nb_cell_sum(const struct nb_stats *s, enum nb_callback cb, struct nb_cell *out);
/* Mean ns per call of a cell, 0 when it has no calls. */
double nb_cell_mean_ns(const struct nb_cell *c);
/* Calls of every callback on every event: 0 after a reset. */
uint64_t nb_calls_all(const struct nb_stats *s);

/* Names for printing; "?" for an out-of-range value. */
const char *nb_callback_name(unsigned int cb);
const char *nb_event_name(unsigned int ev);
const char *nb_model_name(unsigned int model);
const char *nb_mode_name(unsigned int mode);
/* A model's cost unit for printing: "ns", "ns/4KiB", "insn" or "insn/4KiB". */
const char *nb_model_unit(unsigned int model);

/* Every model's name (NB_MODELS), as string literals for help and messages. */
#define NB_MODEL_SP_(id, value, name, cbs, kind, feat)		" " name
#define NB_MODEL_COMMA_(id, value, name, cbs, kind, feat)	", " name
/* " count spin ...", a literal to concatenate */
#define NB_MODEL_NAMES_SP	NB_MODELS(NB_MODEL_SP_)
/* "count, spin, ...", a const char * */
#define NB_MODEL_NAMES		(NB_MODELS(NB_MODEL_COMMA_) + 2)

/* Message for an error returned by an nbdev function (negative errno). */
const char *nbdev_strerror(int err);

#endif /* NBDEV_H */
