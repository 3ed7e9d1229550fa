/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Secondary-MMU backends: what is attached to the benchmark's mm while it
 * runs. Each --backend option gives one or more configurations (a kmod cost
 * sweep gives one per ns or n value); the harness interleaves them.
 *
 *   none                      nothing attached
 *   kvm[,guest=auto|on|off]   a KVM VM with one memslot over the buffer; with a
 *                             guest (kvm_guest.h) that reads the buffer's pages
 *                             before each batch and again after it
 *   kmod:<model>[,k=K][,cb=start+end+...][,events=a+b][,ns=N[,N...]]
 *        [,threshold=P][,global=NS][,mode=ops|interval][,ring=0|1]
 *                             /dev/notibench with K subscribers; model zap
 *                             (K = 1, END enabled) mirrors the buffer;
 *                             model insn takes n=N[,N...] (instructions per
 *                             call) instead of ns=
 *
 * Lifecycle: open (once; an unavailable backend is a skip) -> attach over the
 * buffer -> for each sample: before_batch, sample_begin, the timed batch,
 * sample_end, after_batch -> detach (the harness re-attaches when the
 * configuration changes) -> close.
 *
 * Each backend is one file of bench/backends/ defining a struct backend_ops
 * (kvm.c, kmod.c) and one row of the table in backend.c (the Makefile
 * builds every file there); its state lives behind b->priv. The harness and the benchmarks see only this header.
 */
#ifndef NB_BACKEND_H
#define NB_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exit.h"
#include "notibench.h"

struct backend_ops;
struct stats;

/*
 * Counters of one sample, for a benchmark's check(): the harness fills the
 * common ones, the backend its own (its counters() hook). NULL/0 when not
 * collected.
 */
struct bench_counters {
	uint64_t nops;
	uint64_t sample_ns;		/* wall time of the timed batch */
	/*
	 * Minor faults of the benchmark thread during the timed batch (perf
	 * minor-faults, else getrusage(RUSAGE_THREAD)); -1 when neither works.
	 */
	int64_t faults;
	int64_t helper_faults;			/* from finish(), -1: none */
	/*
	 * Device accesses (kmod zap model, device_access benchmarks), -1
	 * otherwise: faults of the read access that filled the mirror before
	 * the batch, and of the one that re-read the buffer after it (entries
	 * the batch's invalidations zapped).
	 */
	int64_t dev_fill_faults, dev_refaults;
	/* kmod backend */
	const struct nb_stats *nb;
	const struct nb_attach *nb_attach;	/* K, callbacks, mode */
	const struct nb_ring_entry *ring;	/* oldest first */
	unsigned int ring_n;
	/* tracepoints; -1 when unavailable */
	int64_t kvm_unmap_hva_range;
	bool kvm;				/* the kvm backend is attached */
};

struct backend {
	const struct backend_ops *ops;
	void *priv;			/* the backend's own state, from its parse() */
	char label[160];		/* the configuration's name, e.g. kmod:spin,ns=250 */
	char sweep[160];		/* configurations of one sweep share this ("" if none) */
	double sweep_cost;		/* this configuration's cost per call in its sweep */
	bool cost_insn;			/* the cost counts instructions (kmod:insn, insn_range), not the clock's ns */
	bool cost_per_page;		/* the cost is per 4 KiB of the range (spin_range, insn_range) */
	bool attached;
};

/*
 * Where a backend's CSV columns go among the harness's: the order is the
 * CSV's (results/README.md), so each backend adds its columns at one place.
 */
enum backend_cols {
	BACKEND_COLS_EARLY,		/* after the perf counters */
	BACKEND_COLS_LATE,		/* after the benchmark's own columns */
};

/* Adds a CSV column (text: per sample only, not summarised); its index or -1. */
typedef int (*backend_add_col)(void *ctx, const char *name, bool text);
typedef void (*backend_emit)(const char *key, const char *value);

/* The timed batch a sample's values are about. */
struct backend_sample {
	uint64_t nops;			/* ops in the batch */
	uint64_t calls;			/* nops times the benchmark's calls per op */
};

/*
 * One backend. Every hook but parse is optional (absent: nothing to do).
 * NB_EXIT_* returns as in the functions below; the generic layer keeps
 * b->attached.
 */
struct backend_ops {
	const char *name;		/* the metadata's <config>.backend */
	const char *prefix;		/* its specs start with this ... */
	bool whole;			/* ... or are exactly this */
	const char *usage;		/* the spec's form, for the unknown-backend message */
	/* Appends the spec's configurations (backend_impl.h), setting ops and priv. */
	int (*parse)(const char *spec, struct backend **v, unsigned int *n, char *msg, size_t len);
	int (*open)(struct backend *b, char *reason, size_t len);
	int (*attach)(struct backend *b, void *buf, size_t len, char *reason, size_t rlen);
	/* Untimed, around the batch (a device or guest reading the buffer). */
	int (*before_batch)(struct backend *b, void *buf, size_t len, char *msg, size_t mlen);
	int (*after_batch)(struct backend *b, void *buf, size_t len, char *msg, size_t mlen);
	/* 0 or -errno: reset counters right before the timed batch; read them right after. */
	int (*sample_begin)(struct backend *b);
	int (*sample_end)(struct backend *b);
	void (*detach)(struct backend *b);
	/* Releases what open() got; the generic layer then frees priv. */
	void (*close)(struct backend *b);
	void (*describe)(const struct backend *b, const char *prefix, backend_emit emit);
	/*
	 * The backend's CSV columns at @where, once per run with every
	 * configuration (those whose ops are this backend's are its own).
	 */
	void (*columns)(struct backend *cfg, unsigned int ncfg, enum backend_cols where,
			backend_add_col add, void *ctx);
	/* After sample_end/after_batch: its columns' values (v, text; left NAN/NULL: none). */
	void (*sample_values)(struct backend *b, const struct backend_sample *s, double *v,
			      char **text);
	/* What the benchmark's check() sees of the last sample. */
	void (*counters)(const struct backend *b, struct bench_counters *c);
	/* Lines of the printed summary; st: per column, of this configuration's samples. */
	void (*summary)(const struct backend *b, const struct stats *st, double nops,
			const char *unit);
	/* A device reads the buffer (kmod zap); only device_access benchmarks take one. */
	bool (*has_device)(const struct backend *b);
};

/* backend.c: the backends, one row each; a summary is printed in this order. */
extern const struct backend_ops *const backend_table[];
extern const unsigned int backend_count;

/*
 * Parses one --backend spec, appending its configurations to *v (n of them
 * so far, realloc'd). NB_EXIT_OK, or NB_EXIT_USAGE with msg.
 */
int backend_parse(const char *spec, struct backend **v, unsigned int *n, char *msg, size_t len);

/* NB_EXIT_OK, NB_EXIT_SKIP (not available here) or NB_EXIT_FAIL, with reason. */
int backend_open(struct backend *b, char *reason, size_t len);
int backend_attach(struct backend *b, void *buf, size_t len, char *reason, size_t rlen);
/* Reset counters / snapshot stats right before the timed batch; read them right after. */
int backend_sample_begin(struct backend *b);
int backend_sample_end(struct backend *b);
void backend_detach(struct backend *b);
/* Detaches, releases everything, priv included. */
void backend_close(struct backend *b);
/* Metadata lines for this configuration (key prefix given). */
void backend_describe(const struct backend *b, const char *prefix, backend_emit emit);

/* Every backend's columns at @where, in the table's order. */
void backend_columns(struct backend *cfg, unsigned int ncfg, enum backend_cols where,
		     backend_add_col add, void *ctx);
void backend_sample_values(struct backend *b, const struct backend_sample *s, double *v,
			   char **text);
void backend_counters(const struct backend *b, struct bench_counters *c);
void backend_summary(const struct backend *b, const struct stats *st, double nops,
		     const char *unit);

/*
 * The kmod zap model keeps a software secondary page table (a mirror) over
 * the buffer; a "device access" faults it in. Only benchmarks that declare
 * bench_ops.device_access get such a backend (harness_run checks).
 */
bool backend_has_device(const struct backend *b);

/*
 * Untimed work around the timed batch on [buf, buf + len): kvm with a guest
 * reads the buffer's populated pages right before it (filling KVM's
 * secondary page table) and right after it (refaulting what the batch
 * zapped); kmod zap reads it through the mirror. NB_EXIT_OK, or NB_EXIT_FAIL
 * with msg.
 */
int backend_before_batch(struct backend *b, void *buf, size_t len, char *msg, size_t mlen);
int backend_after_batch(struct backend *b, void *buf, size_t len, char *msg, size_t mlen);

#endif /* NB_BACKEND_H */
