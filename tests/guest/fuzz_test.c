// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test: a hostile user of /dev/notibench (root, in the scripts/vm guest;
 * statically linked). Random and structure-aware ioctls, bad pointers, racing
 * threads, fork/exit/kill while attached, every cost model and unload
 * attempts, then the module must unload with nothing leaked and load again.
 *
 * Every phase that can crash runs in forked children: a child that dies by a
 * signal we did not send is a finding. Invariants, after each phase: every
 * fd closed gives the module's refcount back and live_sessions and
 * live_attachments 0, and a plain session still attaches, counts, detaches.
 * Exact errno values are not asserted (the module's validation moves); an
 * invalid call must fail with some -errno, a valid one must succeed.
 *
 * Findings are printed as "# FINDING seed=S phase: what", and the seed is
 * always printed: `fuzz_test --seed S --calls N --threads T` replays the same
 * choices (the races, of course, differ).
 *
 * Time: the default 100k calls took 53-74 s under TCG on the stock 6.1 and
 * 6.12 (2 vCPUs, host load 2-3, 2026-12-06; 6.12: random 1 s, structure 30 s,
 * race 14 s, fork 13 s); the debug kernel (scripts/kernel --config debug:
 * KASAN, lockdep, ...) about 1 ms a call: 102k calls in 102 s, where
 * tests/run runs the default too.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nbdev.h"
#include "test_harness.h"	/* tap.h, read_text() */

#define PAGE		4096UL
#define AREA_LEN	(2UL << 20)	/* memory the phases fault, mprotect, unmap */
#define PARAMS		"/sys/module/notibench/parameters/"
#define MODULE_DIR	"/sys/module/notibench"
#define MODULE_KO	"/notibench.ko"	/* where scripts/vm-init loads it from */
#define MAX_FINDINGS	20		/* printed per process; all are counted */

/* Costs above this (ns, roughly) are not charged on purpose while attached. */
#define CHEAP_NS	50000ULL

static uint64_t opt_calls = 100000, opt_seed;
static unsigned int opt_threads = 8;
static bool opt_quiet;
static struct nb_version ver;
static uint64_t *calls;		/* shared with every child: calls made */
static unsigned int findings;	/* this process's */
static const char *phase = "setup";
static long refcnt_base = -1;

/* ---- random numbers: splitmix64, one state per process or thread ---- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int pct)
{
	return below(r, 100) < pct;
}

static struct rng rng_for(uint64_t stream)
{
	struct rng r = { opt_seed ^ (stream * 0xd1b54a32d192ed03ULL) };

	rnd(&r);
	return r;
}

/* ---- reporting ---- */

__attribute__((format(printf, 1, 2)))
static void finding(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (findings++ >= MAX_FINDINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tap_diag("FINDING seed=%llu %s: %s", (unsigned long long)opt_seed, phase, msg);
}

static uint64_t calls_now(void)
{
	return __atomic_load_n(calls, __ATOMIC_RELAXED);
}

/* Every ioctl goes through here: counted, -errno or the return value. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	long ret;

	__atomic_fetch_add(calls, 1, __ATOMIC_RELAXED);
	ret = ioctl(fd, cmd, arg);
	return ret < 0 ? -errno : (int)ret;
}

/* Without O_CLOEXEC: the exec'd children of the fork phase keep it. */
static int dev_open(void)
{
	int fd = open(NB_DEVICE, O_RDWR);

	if (fd < 0)
		finding("open " NB_DEVICE ": %s", strerror(errno));
	return fd;
}

static long read_long(const char *path)
{
	char buf[32];

	return read_text(path, buf, sizeof(buf)) ? strtol(buf, NULL, 10) : -1;
}

/* ---- memory: bad pointers and the area the phases churn ---- */

static struct {
	char *good;	/* 64 KiB read-write */
	char *ro;	/* a read-only page */
	char *guard;	/* a PROT_NONE page right after a read-write one */
} mem;

#define GOOD_LEN	(64 * 1024UL)

static void mem_setup(void)
{
	char *p = mmap(NULL, GOOD_LEN + 3 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		tap_bail("mmap failed");
	mem.good = p;
	mem.ro = p + GOOD_LEN;
	mem.guard = p + GOOD_LEN + 2 * PAGE;
	if (mprotect(mem.ro, PAGE, PROT_READ) || mprotect(mem.guard, PAGE, PROT_NONE))
		tap_bail("mprotect failed");
}

/* A pointer no call may write `need` bytes to (ro: maybe read). */
static uintptr_t bad_ptr(struct rng *r, size_t need, bool *readable)
{
	*readable = false;
	switch (below(r, 8)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(r, PAGE - 1);
	case 2:	/* never mapped: far above a static binary's heap, below mmap_base */
		return 0x100000000000ULL + below(r, 1 << 20) * PAGE + below(r, PAGE);
	case 3:	/* kernel text and the direct map */
		return chance(r, 50) ? 0xffffffff81000000ULL + below(r, 1 << 24)
				     : 0xffff888000000000ULL + below(r, 1ULL << 30);
	case 4:	/* straddling TASK_SIZE, and non-canonical */
		return chance(r, 50) ? 0x7ffffffff000ULL - 1 - below(r, need ? need : 1)
				     : 0x8000000000000000ULL + below(r, 1 << 20);
	case 5:
		*readable = true;
		return (uintptr_t)mem.ro + (need < PAGE ? below(r, PAGE - need) : 0);
	default:	/* starts readable, ends in the PROT_NONE page */
		return (uintptr_t)mem.guard - 1 - below(r, need > 1 ? need - 1 : 1);
	}
}

/* Churn [base, base + len) so that invalidations fire; never leaves holes
 * another mapping could take (unmap = PROT_NONE over it).
 */
static void churn(struct rng *r, char *base, size_t len)
{
	size_t pages = len / PAGE, first = below(r, pages);
	size_t n = 1 + below(r, pages - first < 16 ? pages - first : 16);
	char *p = base + first * PAGE;
	size_t l = n * PAGE;

	switch (below(r, 6)) {
	case 0:
	case 1:
		if (mmap(p, l, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0) != MAP_FAILED)
			for (size_t i = 0; i < l; i += PAGE)
				p[i] = (char)i;
		break;
	case 2:
		mmap(p, l, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case 3:
		mprotect(p, l, PROT_READ);
		break;
	case 4:
		mprotect(p, l, PROT_READ | PROT_WRITE);
		break;
	default:
		madvise(p, l, MADV_DONTNEED);
		break;
	}
}

static char *area_new(void)
{
	char *p = mmap(NULL, AREA_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 1, AREA_LEN);
	return p;
}

/* ---- attach configurations ---- */

static const unsigned long valid_cmds[] = {
	NB_IOC_VERSION, NB_IOC_ATTACH, NB_IOC_DETACH, NB_IOC_STATS,
	NB_IOC_RING, NB_IOC_RESET, NB_IOC_ACCESS,
};
#define NR_CMDS	(sizeof(valid_cmds) / sizeof(valid_cmds[0]))

static bool is_valid_cmd(unsigned long cmd)
{
	for (size_t i = 0; i < NR_CMDS; i++)
		if (cmd == valid_cmds[i])
			return true;
	return false;
}

/* A model the module has (NB_MODELS' feature column, NB_IOC_VERSION's features). */
static bool model_supported(unsigned int m)
{
	return (ver.features & nb_model_feature(m)) == nb_model_feature(m);
}

/* NB_MODELS' callbacks column, and the features. */
static bool model_ok(unsigned int cb, unsigned int m)
{
	return (nb_model_callbacks(m) & NB_CB_BIT(cb)) && model_supported(m);
}

/* A cost for cb under model m: cheap (small), or a boundary 0, 1 or max. */
static void set_cost(struct rng *r, struct nb_cost *c, unsigned int cb, unsigned int m, bool cheap)
{
	static const uint64_t edge[] = { 0, 1, NB_MAX_NS };

	memset(c, 0, sizeof(*c));
	c->model = m;
	switch (m) {
	case NB_MODEL_COUNT:
		return;
	case NB_MODEL_INSN_RANGE:
		/* a full-range TLB or young call would run the 2^28 cap */
		c->ns = cheap ? (cb == NB_CB_START || cb == NB_CB_END || cb == NB_CB_INTERVAL ?
				 below(r, 3) : 0) : edge[below(r, 3)];
		return;
	case NB_MODEL_SMMU:
		c->ns = cheap ? below(r, 10) : edge[below(r, 3)];
		c->threshold = cheap ? below(r, 64) : (uint64_t[]){ 0, 1, NB_MAX_THRESHOLD }[below(r, 3)];
		c->global_ns = cheap ? below(r, 1000) : edge[below(r, 3)];
		return;
	case NB_MODEL_SPIN_RANGE:
		c->ns = cheap ? below(r, 10) : edge[below(r, 3)];
		return;
	default:
		c->ns = cheap ? below(r, 1000) : edge[below(r, 3)];
	}
}

/* Roughly what one invalidation of the churn area costs the process. */
static bool expensive(const struct nb_attach *a)
{
	uint64_t sum = 0;

	for (unsigned int cb = 0; cb < NB_CB_NR; cb++) {
		const struct nb_cost *c = &a->cost[cb];

		if (!(a->callbacks & NB_CB_BIT(cb)))
			continue;
		if (c->model == NB_MODEL_INSN_RANGE && c->ns &&
		    (c->ns > 2 || (cb != NB_CB_START && cb != NB_CB_END && cb != NB_CB_INTERVAL)))
			return true;
		sum += c->model == NB_MODEL_SMMU ? c->ns * 64 + c->global_ns :
		       c->model == NB_MODEL_SPIN_RANGE ? c->ns * 64 : c->ns;
	}
	return sum * a->nr_subscribers > CHEAP_NS;
}

/*
 * A configuration the module must accept. zap: the ZAP model on START (OPS,
 * with END) or INTERVAL over [base, base + AREA_LEN).
 */
static void gen_valid(struct rng *r, struct nb_attach *a, bool cheap, bool zap, char *base)
{
	bool interval = chance(r, 25);
	uint32_t mask;

	memset(a, 0, sizeof(*a));
	a->abi_version = NB_ABI_VERSION;
	a->nr_subscribers = zap ? 1 : cheap ? 1 + below(r, 4) :
			    (uint32_t[]){ 1, 2, NB_MAX_SUBSCRIBERS, 1 + below(r, 64) }[below(r, 4)];
	a->event_mask = chance(r, 50) ? NB_EV_ALL : (uint32_t)below(r, NB_EV_ALL + 1);
	a->flags = chance(r, 30) ? NB_ATTACH_NO_RING : 0;
	if (interval) {
		a->mode = NB_MODE_INTERVAL;
		mask = NB_CB_BIT(NB_CB_INTERVAL);
		nb_set_range(a, (uintptr_t)base, AREA_LEN);
	} else {
		a->mode = NB_MODE_OPS;
		mask = (uint32_t)rnd(r) & ver.callbacks & NB_CB_ALL_OPS;
		if (zap || !mask)
			mask |= NB_CB_BIT(NB_CB_START) | NB_CB_BIT(NB_CB_END);
		if ((ver.features & NB_FEAT_TLB_IS_ARCH) && (mask & NB_CB_BIT(NB_CB_TLB)) &&
		    (mask & (NB_CB_BIT(NB_CB_START) | NB_CB_BIT(NB_CB_END)))) {
			if (zap || chance(r, 70))
				mask &= ~NB_CB_BIT(NB_CB_TLB);
			else
				mask &= ~(NB_CB_BIT(NB_CB_START) | NB_CB_BIT(NB_CB_END));
		}
	}
	a->callbacks = mask;
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++) {
		unsigned int m;

		if (!(mask & NB_CB_BIT(cb)))
			continue;
		do
			m = below(r, NB_MODEL_NR);
		while (m == NB_MODEL_ZAP || !model_ok(cb, m) || !model_supported(m));
		if (zap && (cb == NB_CB_START || cb == NB_CB_INTERVAL))
			m = NB_MODEL_ZAP;
		set_cost(r, &a->cost[cb], cb, m, cheap);
	}
	/* a START that can fail comes without END (5.12) */
	if (a->mode == NB_MODE_OPS && a->cost[NB_CB_START].model == NB_MODEL_FAIL &&
	    (mask & NB_CB_BIT(NB_CB_START))) {
		a->callbacks &= ~NB_CB_BIT(NB_CB_END);
		memset(&a->cost[NB_CB_END], 0, sizeof(a->cost[NB_CB_END]));
	}
	if (zap && a->mode == NB_MODE_OPS)
		nb_set_range(a, (uintptr_t)base, AREA_LEN);
}

/* One mutation that the contract (kmod/README.md "Errors") makes invalid. */
static const char *mutate(struct rng *r, struct nb_attach *a)
{
	unsigned int cb, off;

	do
		cb = below(r, NB_CB_NR);
	while (!(a->callbacks & NB_CB_BIT(cb)));
	do
		off = below(r, NB_CB_NR);
	while (a->callbacks & NB_CB_BIT(off));

	switch (below(r, 15)) {
	case 0:
		a->abi_version = chance(r, 50) ? 0 : NB_ABI_VERSION + 1 + below(r, 1000);
		return "abi_version";
	case 1:
		a->nr_subscribers = (uint32_t[]){ 0, NB_MAX_SUBSCRIBERS + 1, UINT32_MAX }[below(r, 3)];
		return "nr_subscribers";
	case 2:
		a->mode = 2 + below(r, UINT32_MAX - 2);
		return "mode";
	case 3:
		a->callbacks |= 1u << (NB_CB_NR + below(r, 32 - NB_CB_NR));
		return "callbacks bit";
	case 4:
		a->event_mask |= 1u << (NB_EV_NR + below(r, 32 - NB_EV_NR));
		return "event_mask bit";
	case 5:
		a->flags |= 1u << (1 + below(r, 31));
		return "flags";
	case 6:
		a->cost[below(r, NB_CB_NR)].reserved = 1 + below(r, UINT32_MAX);
		return "cost.reserved";
	case 7:
		a->cost[cb].model = NB_MODEL_NR + below(r, 1000);
		return "model";
	case 8:
		a->cost[cb].ns = chance(r, 50) ? NB_MAX_NS + 1 : UINT64_MAX - below(r, 4);
		return "ns max+1";
	case 9:
		a->cost[cb].global_ns = NB_MAX_NS + 1 + below(r, 1000);
		return "global_ns max+1";
	case 10:
		a->cost[cb].threshold = NB_MAX_THRESHOLD + 1 + below(r, 1000);
		return "threshold max+1";
	case 11:
		a->cost[off].ns = 1 + below(r, 1000);
		return "cost on a disabled callback";
	case 12:
		a->callbacks |= a->mode == NB_MODE_OPS ? NB_CB_BIT(NB_CB_INTERVAL) : NB_CB_BIT(NB_CB_START);
		return "callback of the other mode";
	case 13:
		if (a->mode == NB_MODE_OPS && !a->len) {
			nb_set_range(a, PAGE * (1 + below(r, 100)), PAGE);
			return "range without ZAP";
		}
		a->len = chance(r, 50) ? 0 : a->len + 1;
		return "range empty or unaligned";
	default:
		a->cost[cb].model = NB_MODEL_ZAP + 100;
		return "model far out";
	}
}

/* ---- random commands ---- */

/* Generic VFS ioctls (FIFREEZE on devtmpfs!) that the device never sees. */
static bool vfs_magic(unsigned int type)
{
	return type == 'X' || type == 'f' || type == 0x94 || type == 0x15 || type == 0 ||
	       type == 'T' || type == 'v';
}

static unsigned long random_cmd(struct rng *r)
{
	unsigned long base = valid_cmds[below(r, NR_CMDS)], cmd;
	unsigned int dir = _IOC_DIR(base), type = _IOC_TYPE(base), nr = _IOC_NR(base);
	unsigned int size = _IOC_SIZE(base);

	switch (below(r, 7)) {
	case 0:
	case 1:
		return base;
	case 2:
		nr = chance(r, 70) ? (nr + 256 + (chance(r, 50) ? 1 : -1) * (1 + below(r, 3))) & 0xff
				   : below(r, 256);
		break;
	case 3:
		size = chance(r, 50) ? (size + (chance(r, 50) ? 1 : -1) * (1 + below(r, 8))) & 0x3fff
				     : below(r, 0x4000);
		break;
	case 4:
		dir = (dir + 1 + below(r, 3)) & 3;
		break;
	case 5:
		type = (type + (chance(r, 50) ? 1 : 255)) & 0xff;
		nr = below(r, 16);
		break;
	default:
		cmd = (unsigned long)(uint32_t)rnd(r);
		return vfs_magic(_IOC_TYPE(cmd)) ? base : cmd;
	}
	cmd = _IOC(dir, type, nr, size);
	return vfs_magic(type) ? base : cmd;
}

static uint64_t random_u64(struct rng *r)
{
	static const uint64_t edge[] = {
		0, 1, 2, 63, 64, 65, 255, 256, 257, NB_MAX_NS, NB_MAX_NS + 1,
		UINT32_MAX, (uint64_t)UINT32_MAX + 1, INT64_MAX, UINT64_MAX,
	};

	return chance(r, 50) ? edge[below(r, sizeof(edge) / sizeof(edge[0]))] : rnd(r);
}

/* Fill the argument buffer: random bytes, or one of the ABI's structures
 * with random and boundary fields.
 */
static void random_arg(struct rng *r, char *buf, char *area)
{
	struct nb_attach *a = (void *)buf;
	struct nb_buf *b = (void *)buf;
	struct nb_access *ac = (void *)buf;
	bool readable;

	switch (below(r, 5)) {
	case 0:
		for (size_t i = 0; i < sizeof(struct nb_attach); i += 8)
			*(uint64_t *)(buf + i) = random_u64(r);
		break;
	case 1:
		gen_valid(r, a, chance(r, 50), chance(r, 10), area);
		if (chance(r, 70))
			mutate(r, a);
		break;
	case 2:
		b->ptr = chance(r, 60) ? (uintptr_t)(buf + 4096) :
			 bad_ptr(r, sizeof(struct nb_stats), &readable);
		b->size = chance(r, 50) ? sizeof(struct nb_stats) : (uint32_t)random_u64(r);
		b->count = chance(r, 70) ? 0 : (uint32_t)random_u64(r);
		break;
	default:
		ac->start = chance(r, 50) ? (uintptr_t)area + below(r, AREA_LEN) : random_u64(r);
		ac->len = random_u64(r);
		ac->flags = (uint32_t)random_u64(r);
		ac->reserved = chance(r, 70) ? 0 : 1;
		break;
	}
}

/* ---- phase: random commands, fields and pointers (in a child) ---- */

static int random_child(unsigned int id, uint64_t budget)
{
	struct rng r = rng_for(0x100 + id);
	char *area = area_new(), *buf = mem.good;
	uint64_t end = calls_now() + budget;
	int fds[3] = { -1, -1, -1 };

	if (!area)
		return 3;
	while (calls_now() < end) {
		unsigned int i = below(&r, 3);
		unsigned long cmd = random_cmd(&r);
		uintptr_t arg;
		bool readable;
		int ret;

		if (fds[i] < 0 || chance(&r, 1)) {
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = dev_open();
			if (fds[i] < 0)
				return 1;
		}
		random_arg(&r, buf, area);
		arg = chance(&r, 75) ? (uintptr_t)buf : bad_ptr(&r, _IOC_SIZE(cmd), &readable);
		if (chance(&r, 3))
			arg = rnd(&r);
		ret = xioctl(fds[i], cmd, (void *)arg);
		if (ret >= 0 && !is_valid_cmd(cmd))
			finding("cmd %#lx (not in the ABI) returned %d", cmd, ret);
		/* a costly session would charge this child's exit: drop it */
		if (ret == 0 && cmd == NB_IOC_ATTACH && expensive((void *)buf))
			xioctl(fds[i], NB_IOC_DETACH, NULL);
	}
	return findings ? 1 : 0;
}

/* ---- phase: structure-aware sequences (in a child) ---- */

struct sess {
	int fd;
	bool attached, costly, zap;
};

static void check_stats(struct rng *r, struct sess *s, struct nb_stats *st)
{
	struct nb_buf b = { .ptr = (uintptr_t)st, .size = sizeof(*st) };
	bool readable;
	int ret;

	switch (below(r, 4)) {
	case 0:	/* wrong size or count */
		b.size = (uint32_t[]){ 0, 1, sizeof(*st) - 1, sizeof(*st) + 1, UINT32_MAX }[below(r, 5)];
		if (chance(r, 30)) {
			b.size = sizeof(*st);
			b.count = 1 + below(r, UINT32_MAX);
		}
		ret = xioctl(s->fd, NB_IOC_STATS, &b);
		if (ret >= 0)
			finding("STATS size %u count %u returned %d", b.size, b.count, ret);
		return;
	case 1:
		b.ptr = bad_ptr(r, sizeof(*st), &readable);
		ret = xioctl(s->fd, NB_IOC_STATS, &b);
		if (ret >= 0)
			finding("STATS to bad pointer %#llx returned %d", (unsigned long long)b.ptr, ret);
		return;
	default:
		ret = xioctl(s->fd, NB_IOC_STATS, &b);
		if (ret)
			finding("valid STATS returned %d", ret);
		else if (!!(st->state & NB_STATE_ATTACHED) != s->attached)
			finding("STATS state %#x, attached %d", st->state, s->attached);
	}
}

static void check_ring(struct rng *r, struct sess *s, struct nb_ring_entry *ring)
{
	static const uint32_t sizes[] = { 0, 1, NB_RING_SIZE - 1, NB_RING_SIZE, NB_RING_SIZE + 1,
					  UINT32_MAX, 1u << 31 };
	struct nb_buf b = { .ptr = (uintptr_t)ring };
	bool readable, valid, bad = chance(r, 25);
	int ret;

	b.size = chance(r, 70) ? sizes[below(r, 7)] : (uint32_t)rnd(r);
	if (bad)
		b.ptr = bad_ptr(r, sizeof(*ring) * NB_RING_SIZE, &readable);
	b.count = chance(r, 80) ? 0 : (uint32_t)rnd(r);
	/* a huge size on a valid buffer: at most the ring's entries come back */
	if (!bad && b.size > NB_RING_SIZE && chance(r, 50))
		b.size = NB_RING_SIZE;
	valid = !bad && b.size >= 1 && b.size <= NB_RING_SIZE && !b.count;
	ret = xioctl(s->fd, NB_IOC_RING, &b);
	if (valid && ret)
		finding("valid RING of %u returned %d", b.size, ret);
	if (ret == 0 && b.count > NB_RING_SIZE)
		finding("RING of %u gave count %u", b.size, b.count);
}

static void check_attach(struct rng *r, struct sess *s, char *area)
{
	struct nb_attach a;
	const char *what = NULL;
	int ret;

	gen_valid(r, &a, chance(r, 80), chance(r, 15), area);
	if (chance(r, 40))
		what = mutate(r, &a);
	if (chance(r, 5)) {	/* nothing valid there (the read-only page is zeros) */
		ret = xioctl(s->fd, NB_IOC_ATTACH, (void *)bad_ptr(r, sizeof(a), &(bool){ 0 }));
		what = "bad pointer";
	} else {
		ret = xioctl(s->fd, NB_IOC_ATTACH, &a);
	}
	if (what && ret >= 0)
		finding("invalid ATTACH (%s) returned %d", what, ret);
	else if (!what && !s->attached && ret)
		finding("valid ATTACH (mode %u K %u callbacks %#x) returned %d",
			a.mode, a.nr_subscribers, a.callbacks, ret);
	else if (s->attached && ret >= 0)
		finding("second ATTACH returned %d", ret);
	if (ret == 0 && !s->attached) {
		s->attached = true;
		s->costly = expensive(&a);
		s->zap = a.len != 0;
	}
}

static void struct_step(struct rng *r, struct sess *s, char *area, struct nb_stats *st,
			struct nb_ring_entry *ring)
{
	struct nb_access ac;
	int ret;

	switch (below(r, 10)) {
	case 0:
	case 1:
		check_attach(r, s, area);
		break;
	case 2:
		ret = xioctl(s->fd, NB_IOC_DETACH, NULL);
		if (s->attached ? ret != 0 : ret >= 0)
			finding("DETACH (attached %d) returned %d", s->attached, ret);
		s->attached = false;
		break;
	case 3:
		ret = xioctl(s->fd, NB_IOC_RESET, NULL);
		if (ret)
			finding("RESET returned %d", ret);
		break;
	case 4:
	case 5:
		check_stats(r, s, st);
		break;
	case 6:
		check_ring(r, s, ring);
		break;
	case 7:
		memset(&ac, 0, sizeof(ac));
		ac.start = (uintptr_t)area + below(r, AREA_LEN / PAGE) * PAGE;
		ac.len = (1 + below(r, 16)) * PAGE;
		ac.flags = below(r, 2);
		if (chance(r, 20))
			ac.len = random_u64(r);
		ret = xioctl(s->fd, NB_IOC_ACCESS, &ac);
		if (!s->zap && ret >= 0)
			finding("ACCESS without a mirror returned %d", ret);
		break;
	case 8:
		ret = xioctl(s->fd, NB_IOC_VERSION, chance(r, 70) ? (void *)mem.good :
			     (void *)bad_ptr(r, sizeof(struct nb_version), &(bool){ 0 }));
		break;
	default:
		if (!s->costly)
			churn(r, area, AREA_LEN);
	}
	if (!s->attached)
		s->costly = s->zap = false;
}

static int struct_child(unsigned int id, uint64_t budget)
{
	struct rng r = rng_for(0x200 + id);
	struct nb_stats *st = nbdev_stats_new();
	struct nb_ring_entry *ring = calloc(NB_RING_SIZE, sizeof(*ring));
	char *area = area_new();
	uint64_t end = calls_now() + budget;
	struct sess s[2] = { { .fd = -1 }, { .fd = -1 } };

	if (!st || !ring || !area)
		return 3;
	while (calls_now() < end) {
		struct sess *p = &s[below(&r, 2)];

		if (p->fd < 0 || chance(&r, 1)) {
			if (p->fd >= 0)
				close(p->fd);	/* closing an attached session detaches it */
			p->fd = dev_open();
			if (p->fd < 0)
				return 1;
			p->attached = p->costly = p->zap = false;
		}
		struct_step(&r, p, area, st, ring);
	}
	/* a costly session would charge the exit; a cheap one is released by it */
	for (int i = 0; i < 2; i++)
		if (s[i].costly)
			xioctl(s[i].fd, NB_IOC_DETACH, NULL);
	return findings ? 1 : 0;
}

/* ---- phase: racing threads ---- */

struct racer {
	pthread_t tid;
	struct rng r;
	int fd;			/* shared, or its own */
	bool own;
	uint64_t budget;
	char *area;
	volatile bool *stop;
};

static void *racer_main(void *arg)
{
	struct racer *t = arg;
	struct nb_attach a;
	struct nb_buf b;
	struct nb_ring_entry ring[8];
	struct nb_stats *st = nbdev_stats_new();
	uint64_t done = 0;
	int ret;

	if (!st)
		return NULL;
	for (; done < t->budget; done++) {
		switch (below(&t->r, 8)) {
		case 0:
		case 1:
			gen_valid(&t->r, &a, true, chance(&t->r, 10), t->area);
			if (chance(&t->r, 30)) {
				const char *what = mutate(&t->r, &a);

				ret = xioctl(t->fd, NB_IOC_ATTACH, &a);
				if (ret >= 0)
					finding("racing invalid ATTACH (%s) returned %d", what, ret);
			} else {
				xioctl(t->fd, NB_IOC_ATTACH, &a);
			}
			break;
		case 2:
			xioctl(t->fd, NB_IOC_DETACH, NULL);
			break;
		case 3:
			xioctl(t->fd, NB_IOC_RESET, NULL);
			break;
		case 4:
		case 5:
			b = (struct nb_buf){ .ptr = (uintptr_t)st, .size = sizeof(*st) };
			ret = xioctl(t->fd, NB_IOC_STATS, &b);
			if (ret)
				finding("racing valid STATS returned %d", ret);
			break;
		case 6:
			b = (struct nb_buf){ .ptr = (uintptr_t)ring, .size = 8 };
			ret = xioctl(t->fd, NB_IOC_RING, &b);
			if (ret || b.count > 8)
				finding("racing valid RING returned %d count %u", ret, b.count);
			break;
		default:
			xioctl(t->fd, random_cmd(&t->r), mem.guard - 1);
			break;
		}
	}
	free(st);
	return NULL;
}

struct mapper {
	pthread_t tid;
	struct rng r;
	char *area;
	volatile bool stop;
	unsigned int unload_findings;
};

/* Churns memory, and tries to unload the module while fds are open. */
static void *mapper_main(void *arg)
{
	struct mapper *m = arg;

	while (!m->stop) {
		churn(&m->r, m->area, AREA_LEN);
		usleep(100);	/* leave the racers the CPUs (2 under TCG) */
		if (chance(&m->r, 2) && syscall(SYS_delete_module, "notibench", O_NONBLOCK) == 0)
			m->unload_findings++;
	}
	return NULL;
}

static int race_child(uint64_t budget)
{
	struct rng r = rng_for(0x300);
	uint64_t end = calls_now() + budget;
	struct racer t[16];
	char *area = area_new();

	if (!area)
		return 3;
	while (calls_now() < end) {
		unsigned int n = 1 + below(&r, opt_threads);
		int shared = dev_open();
		struct mapper m = { .r = rng_for(rnd(&r)), .area = area };

		if (shared < 0)
			return 1;
		pthread_create(&m.tid, NULL, mapper_main, &m);
		for (unsigned int i = 0; i < n; i++) {
			t[i] = (struct racer){ .r = rng_for(rnd(&r)), .fd = shared, .area = area,
					       .budget = 100 + below(&r, 400) };
			if (chance(&r, 40)) {
				t[i].fd = dev_open();
				t[i].own = t[i].fd >= 0;
				if (!t[i].own)
					t[i].fd = shared;
			}
			pthread_create(&t[i].tid, NULL, racer_main, &t[i]);
		}
		for (unsigned int i = 0; i < n; i++) {
			pthread_join(t[i].tid, NULL);
			if (t[i].own)
				close(t[i].fd);
		}
		m.stop = true;
		pthread_join(m.tid, NULL);
		if (m.unload_findings)
			finding("delete_module succeeded %u times while fds were open",
				m.unload_findings);
		close(shared);
		if (m.unload_findings)
			break;
	}
	return findings ? 1 : 0;
}

/* ---- phase: fork, exit, kill while attached ---- */

enum { END_EXIT, END_UEXIT, END_KILL, END_EXEC, END_DETACH, END_NR };

/* The child: attach on the inherited fd, churn and call, then end one way. */
static void fork_child(struct rng *r, int fd, unsigned int how, char *area)
{
	struct nb_attach a;
	struct nb_buf b;
	int own = chance(r, 50) ? dev_open() : -1;

	gen_valid(r, &a, true, chance(r, 15), area);
	xioctl(fd, NB_IOC_ATTACH, &a);
	if (own >= 0) {
		gen_valid(r, &a, true, false, area);
		xioctl(own, NB_IOC_ATTACH, &a);
	}
	for (int i = 0; i < (how == END_KILL ? 1000000 : 10); i++) {
		churn(r, area, AREA_LEN);
		b = (struct nb_buf){ .ptr = (uintptr_t)mem.good, .size = NB_RING_SIZE };
		xioctl(fd, NB_IOC_RING, &b);
		xioctl(own >= 0 ? own : fd, NB_IOC_RESET, NULL);
	}
	switch (how) {
	case END_EXIT:
		exit(0);
	case END_EXEC:
		execl("/proc/self/exe", "fuzz_test", "--exec-child", (char *)NULL);
		_exit(5);
	case END_DETACH:
		xioctl(fd, NB_IOC_DETACH, NULL);
		_exit(0);
	default:
		_exit(0);
	}
}

static int fork_runner(uint64_t budget)
{
	struct rng r = rng_for(0x400);
	struct nb_stats *st = nbdev_stats_new();
	uint64_t end = calls_now() + budget;
	unsigned int rounds = 0, unreleased = 0, how_n[END_NR] = { 0 };
	char *area = area_new();
	int fd = -1;

	if (!st || !area)
		return 3;
	while (calls_now() < end) {
		unsigned int how = below(&r, END_NR);
		struct nb_buf b = { .ptr = (uintptr_t)st, .size = sizeof(*st) };
		struct nb_attach a;
		int status, ret;
		pid_t pid;

		if (fd < 0) {
			fd = dev_open();
			if (fd < 0)
				return 1;
		}
		xioctl(fd, NB_IOC_DETACH, NULL);
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			struct rng cr = rng_for(rnd(&r) + 1);

			fork_child(&cr, fd, how, area);
		}
		if (pid < 0)
			return 1;
		rounds++;
		how_n[how]++;
		if (how == END_KILL) {
			usleep(below(&r, 5000));
			kill(pid, SIGKILL);
		}
		/* the parent queries the shared session while the child runs (at most
		 * 40 times: the rounds, not the queries, are what this phase is for)
		 */
		for (int q = 0; waitpid(pid, &status, q < 40 ? WNOHANG : 0) == 0; q++) {
			b = (struct nb_buf){ .ptr = (uintptr_t)st, .size = sizeof(*st) };
			ret = xioctl(fd, NB_IOC_STATS, &b);
			if (ret)
				finding("STATS while the child runs returned %d", ret);
		}
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
		    !(how == END_KILL && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
			finding("child (end %u) ended with status %#x", how, status);
		/* the child's mm is gone by now, unless something held it: allow 100 ms */
		for (int i = 0; i < 10; i++) {
			b = (struct nb_buf){ .ptr = (uintptr_t)st, .size = sizeof(*st) };
			ret = xioctl(fd, NB_IOC_STATS, &b);
			if (ret || !(st->state & NB_STATE_ATTACHED) || (st->state & NB_STATE_RELEASED))
				break;
			usleep(10000);
		}
		if (ret)
			finding("STATS after the child returned %d", ret);
		else if ((st->state & NB_STATE_ATTACHED) && !(st->state & NB_STATE_RELEASED)) {
			if (!unreleased++)
				tap_diag("end %u: state %#x callbacks %#x after the attached "
					 "process exited", how, st->state, st->callbacks);
		}
		/*
		 * The session attaches again once detached (kmod/README.md); one the
		 * module would not detach is closed, and a fresh one must attach.
		 */
		if (xioctl(fd, NB_IOC_DETACH, NULL) && !ret && (st->state & NB_STATE_ATTACHED)) {
			close(fd);
			fd = dev_open();
			if (fd < 0)
				return 1;
		}
		gen_valid(&r, &a, true, false, area);
		ret = xioctl(fd, NB_IOC_ATTACH, &a);
		if (ret)
			finding("ATTACH after the child returned %d", ret);
		churn(&r, area, AREA_LEN);
		if (!ret && (ret = xioctl(fd, NB_IOC_DETACH, NULL)))
			finding("DETACH after the child returned %d", ret);
		if (chance(&r, 30)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	if (!opt_quiet)
		tap_diag("fork: %u rounds (exit %u, _exit %u, SIGKILL %u, exec %u, detach %u)",
		 rounds, how_n[END_EXIT], how_n[END_UEXIT], how_n[END_KILL], how_n[END_EXEC],
		 how_n[END_DETACH]);
	if (unreleased)
		tap_diag("%u sessions ATTACHED without RELEASED after their process exited",
			 unreleased);
	/* exit code: bit 0 findings, bit 1 an unreleased session */
	return (findings ? 1 : 0) | (unreleased ? 2 : 0);
}

/* ---- phase: every cost model ---- */

static int model_child(unsigned int m, enum nb_attach_mode mode)
{
	struct rng r = rng_for(0x500 + m * 2 + mode);
	struct nb_stats *st = nbdev_stats_new();
	char *area = area_new();
	struct nb_attach a;
	struct nb_access ac;
	unsigned int cb = mode == NB_MODE_OPS ? NB_CB_START : NB_CB_INTERVAL;
	uint64_t n;
	int fd, ret;

	if (!st || !area)
		return 3;
	fd = dev_open();
	if (fd < 0)
		return 1;
	nb_attach_init(&a, mode, m == NB_MODEL_ZAP ? 1 : 2);
	if (mode == NB_MODE_INTERVAL || m == NB_MODEL_ZAP)
		nb_set_range(&a, (uintptr_t)area, AREA_LEN);
	set_cost(&r, &a.cost[cb], cb, m, true);
	if (m == NB_MODEL_FAIL && mode == NB_MODE_OPS)
		nb_set_callbacks(&a, NB_CB_BIT(NB_CB_START));
	ret = xioctl(fd, NB_IOC_ATTACH, &a);
	if (ret) {
		finding("model %s (%s) ATTACH returned %d", nb_model_name(m), nb_mode_name(mode), ret);
		return 1;
	}
	for (int i = 0; i < 64; i++) {
		churn(&r, area, AREA_LEN);
		if (m == NB_MODEL_ZAP) {
			memset(&ac, 0, sizeof(ac));
			ac.start = (uintptr_t)area + below(&r, AREA_LEN / PAGE - 16) * PAGE;
			ac.len = 16 * PAGE;
			xioctl(fd, NB_IOC_ACCESS, &ac);
		}
	}
	mprotect(area, AREA_LEN, PROT_READ);	/* at least one invalidation for sure */
	ret = nbdev_stats(fd, st);
	__atomic_fetch_add(calls, 1, __ATOMIC_RELAXED);
	n = ret ? 0 : nb_calls_total(st, cb);
	if (ret || !n)
		finding("model %s (%s): STATS %d, %llu %s calls", nb_model_name(m),
			nb_mode_name(mode), ret, (unsigned long long)n, nb_callback_name(cb));
	ret = xioctl(fd, NB_IOC_DETACH, NULL);
	if (ret)
		finding("model %s (%s): DETACH returned %d", nb_model_name(m), nb_mode_name(mode), ret);
	close(fd);
	return findings ? 1 : 0;
}

/* ---- running children, and the invariants ---- */

/* Runs fn(arg) in a child; its exit code, or -signal. */
static int in_child(int (*fn)(uint64_t, uint64_t), uint64_t a1, uint64_t a2)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		findings = 0;
		int ret = fn(a1, a2);

		fflush(stdout);
		_exit(ret);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 3;
	if (WIFSIGNALED(status)) {
		tap_diag("FINDING seed=%llu %s: child killed by signal %d",
			 (unsigned long long)opt_seed, phase, WTERMSIG(status));
		return -WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

static int run_random(uint64_t id, uint64_t budget) { return random_child(id, budget); }
static int run_struct(uint64_t id, uint64_t budget) { return struct_child(id, budget); }
static int run_race(uint64_t unused, uint64_t budget) { (void)unused; return race_child(budget); }
static int run_fork(uint64_t unused, uint64_t budget) { (void)unused; return fork_runner(budget); }
static int run_model(uint64_t m, uint64_t mode) { return model_child(m, mode); }

static bool param_zero(const char *name)
{
	char path[128];
	long v;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	v = read_long(path);
	if (v != 0)
		tap_diag("%s = %ld", path, v);
	return v == 0;
}

/* Sessions are freed after an SRCU grace period: up to ~3 s. */
static bool nothing_leaked(void)
{
	long ref = -1;

	for (int i = 0; i < 300; i++) {
		ref = read_long(MODULE_DIR "/refcnt");
		if (ref == refcnt_base && read_long(PARAMS "live_sessions") == 0 &&
		    read_long(PARAMS "live_attachments") == 0)
			return true;
		usleep(10000);
	}
	tap_diag("module refcnt %ld, with nothing open %ld", ref, refcnt_base);
	return param_zero("live_sessions") & param_zero("live_attachments") && ref == refcnt_base;
}

/* A plain session: attach, count a munmap, stats, ring, reset, detach. */
static bool valid_calls_work(void)
{
	struct nb_stats *st = nbdev_stats_new();
	struct nb_ring_entry ring[4];
	struct nb_version v;
	struct nb_attach a;
	unsigned int n = 0;
	int fd = nbdev_open(), ret = -1;
	char *p;

	if (fd < 0 || !st)
		goto out;
	nb_attach_init(&a, NB_MODE_OPS, 1);
	if ((ret = nbdev_version(fd, &v)) || (ret = nbdev_attach(fd, &a)))
		goto out;
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		memset(p, 1, 4 * PAGE);
		munmap(p, 4 * PAGE);
	}
	if ((ret = nbdev_stats(fd, st)) || (ret = nbdev_ring(fd, ring, 4, &n)))
		goto out;
	if (!nb_calls_total(st, NB_CB_START) || !(st->state & NB_STATE_ATTACHED) || n > 4) {
		tap_diag("START calls %llu, state %#x, ring %u",
			 (unsigned long long)nb_calls_total(st, NB_CB_START), st->state, n);
		ret = -1;
		goto out;
	}
	if (!(ret = nbdev_reset(fd)))
		ret = nbdev_detach(fd);
out:
	if (ret)
		tap_diag("valid call failed: %d", ret);
	if (fd >= 0)
		close(fd);
	free(st);
	return ret == 0;
}

static void invariants(const char *name)
{
	bool clean = nothing_leaked();
	bool works = valid_calls_work();

	tap_ok(clean && works && nothing_leaked(),
	       "after %s: no session leaked (refcount %s), valid calls %s", name,
	       clean ? "back" : "NOT back", works ? "work" : "FAIL");
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double phase_t0;

static void phase_result(int rc, uint64_t before, const char *what)
{
	tap_ok(rc == 0, "%s: %llu calls in %.1f s, %s", phase,
	       (unsigned long long)(calls_now() - before), mono_s() - phase_t0,
	       rc == 0 ? what : rc < 0 ? "a child crashed" : "findings (see FINDING lines)");
}

/* ---- phase: unload and reload ---- */

static void unload_phase(void)
{
	struct nb_attach a;
	struct stat sb;
	int fd = nbdev_open(), fd2 = nbdev_open(), ret, ko;

	nb_attach_init(&a, NB_MODE_OPS, 1);
	if (fd >= 0 && nbdev_attach(fd, &a) == 0 && fd2 >= 0) {
		ret = syscall(SYS_delete_module, "notibench", O_NONBLOCK) ? -errno : 0;
		tap_ok(ret < 0 && stat(MODULE_DIR, &sb) == 0 && valid_calls_work(),
		       "unload: delete_module with fds open fails (%d) and the module stays", ret);
	} else {
		tap_ok(false, "unload: cannot open and attach (%d, %d)", fd, fd2);
	}
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	tap_ok(nothing_leaked(), "unload: every fd closed, no session or attachment left");
	ret = syscall(SYS_delete_module, "notibench", O_NONBLOCK) ? -errno : 0;
	tap_ok(ret == 0 && stat(MODULE_DIR, &sb) != 0, "unload: delete_module succeeds (%d)", ret);
	if (ret)
		return tap_skip("the module did not unload", "unload: reload");
	ko = open(MODULE_KO, O_RDONLY | O_CLOEXEC);
	if (ko < 0)
		return tap_skip(MODULE_KO " is not there (not the scripts/vm guest)", "unload: reload");
	ret = syscall(SYS_finit_module, ko, "", 0) ? -errno : 0;
	close(ko);
	for (int i = 0; i < 100 && access(NB_DEVICE, F_OK); i++)
		usleep(10000);
	tap_ok(ret == 0 && valid_calls_work(), "unload: finit_module " MODULE_KO
	       " (%d), then a session works", ret);
}

/* ---- main ---- */

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: fuzz_test [--calls N] [--seed S] [--threads N] [--quiet]\n"
		"  --calls N    ioctls in total (default 100000)\n"
		"  --seed S     replay a run (default: from the time; always printed)\n"
		"  --threads N  most racing threads (1..16, default 8)\n"
		"  --quiet      no progress lines\n");
	exit(code);
}

static uint64_t parse_num(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s ? s : "", &end, 0);
	if (!s || !*s || *end || errno || v < min || v > max || *s == '-') {
		fprintf(stderr, "fuzz_test: %s wants a number in %llu..%llu, not '%s'\n", opt,
			(unsigned long long)min, (unsigned long long)max, s ? s : "");
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	struct timespec ts;
	bool seeded = false;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--exec-child"))
			exit(0);	/* the fork phase's exec target */
		if (!strcmp(o, "--help") || !strcmp(o, "-h"))
			usage(0);
		if (!strcmp(o, "--quiet")) {
			opt_quiet = true;
			continue;
		}
		if (!strcmp(o, "--calls"))
			opt_calls = parse_num(o, v, 100, UINT64_MAX / 2);
		else if (!strcmp(o, "--seed"))
			opt_seed = parse_num(o, v, 0, UINT64_MAX), seeded = true;
		else if (!strcmp(o, "--threads"))
			opt_threads = parse_num(o, v, 1, 16);
		else {
			fprintf(stderr, "fuzz_test: unknown option '%s'\n", o);
			usage(2);
		}
		i++;
	}
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &ts);
		opt_seed = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
		opt_seed ^= (uint64_t)getpid() << 32;
	}
}

int main(int argc, char **argv)
{
	uint64_t before, t0;
	struct timespec ts;
	int fd, rc, rc2;

	parse_args(argc, argv);
	if (geteuid() != 0)
		tap_skip_all("needs root and notibench.ko: run it in scripts/vm");
	fd = nbdev_open();
	if (fd < 0)
		tap_skip_all(nbdev_strerror(fd));
	if (nbdev_version(fd, &ver))
		tap_bail("NB_IOC_VERSION failed");
	close(fd);
	calls = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (calls == MAP_FAILED)
		tap_bail("mmap failed");
	mem_setup();
	refcnt_base = read_long(MODULE_DIR "/refcnt");

	tap_begin();	/* the plan is the count of results, printed last */
	tap_diag("seed %llu (replay: fuzz_test --seed %llu --calls %llu --threads %u)",
		 (unsigned long long)opt_seed, (unsigned long long)opt_seed,
		 (unsigned long long)opt_calls, opt_threads);
	tap_diag("kernel %s, module %s, callbacks %#x, features %#x, refcnt %ld",
		 ver.kernel_release, ver.module_version, ver.callbacks, ver.features, refcnt_base);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec;

	phase = "random";
	phase_t0 = mono_s();
	before = calls_now();
	rc = 0;
	for (unsigned int i = 0; i < 4; i++) {
		rc2 = in_child(run_random, i, opt_calls * 40 / 100 / 4);
		rc = rc ? rc : rc2;
	}
	phase_result(rc, before, "no crash, every command outside the ABI failed");
	invariants(phase);

	phase = "structure";
	phase_t0 = mono_s();
	before = calls_now();
	rc = in_child(run_struct, 0, opt_calls * 30 / 100 / 2);
	rc2 = in_child(run_struct, 1, opt_calls * 30 / 100 / 2);
	phase_result(rc ? rc : rc2, before, "valid calls succeeded, mutated ones failed");
	invariants(phase);

	phase = "race";
	phase_t0 = mono_s();
	before = calls_now();
	rc = in_child(run_race, 0, opt_calls * 20 / 100);
	phase_result(rc, before, "no crash, no unload while open");
	invariants(phase);

	phase = "fork";
	phase_t0 = mono_s();
	before = calls_now();
	rc = in_child(run_fork, 0, opt_calls * 10 / 100);
	phase_result(rc < 0 ? rc : rc & 1, before, "children ended as told, the session still works");
	tap_ok(rc >= 0 && !(rc & 2), "fork: a session whose process exited says RELEASED "
	       "(kmod/README.md, Sessions)");
	invariants(phase);

	phase = "models";
	phase_t0 = mono_s();
	for (unsigned int m = 0; m < NB_MODEL_NR; m++) {
		if (!model_supported(m)) {
			tap_skip("the module does not have it (NB_IOC_VERSION features)",
				 "models: %s", nb_model_name(m));
			continue;
		}
		before = calls_now();
		rc = in_child(run_model, m, NB_MODE_OPS);
		rc2 = in_child(run_model, m, NB_MODE_INTERVAL);
		tap_ok(!rc && !rc2, "models: %s in OPS and INTERVAL mode: %llu calls, "
		       "attached, counted, detached", nb_model_name(m),
		       (unsigned long long)(calls_now() - before));
	}
	if (!opt_quiet)
		tap_diag("models: %.1f s", mono_s() - phase_t0);
	invariants(phase);

	phase = "unload";
	unload_phase();

	clock_gettime(CLOCK_MONOTONIC, &ts);
	tap_diag("fuzz: %llu calls in %lld s, seed %llu", (unsigned long long)calls_now(),
		 (long long)(ts.tv_sec - t0), (unsigned long long)opt_seed);
	return tap_finish();
}
