// SPDX-License-Identifier: GPL-2.0
/*
 * notibench: MMU notifiers with a configurable cost, attached to a benchmark
 * process's mm through /dev/notibench. Semantics: kmod/README.md; ABI:
 * include/notibench.h.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>

#include "nb.h"

/* The argument of every command, copied in and out by nb_ioctl() only. */
union nb_ioc_arg {
	struct nb_version version;
	struct nb_attach attach;
	struct nb_buf buf;
	struct nb_access access;
};

/* Leak checks for the tests: both must be 0 once every file is closed. */
static atomic_t nb_live_sessions = ATOMIC_INIT(0);
static atomic_t nb_live_attachments = ATOMIC_INIT(0);

static int nb_atomic_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read((atomic_t *)kp->arg));
}

static const struct kernel_param_ops nb_atomic_ops = { .get = nb_atomic_get };
module_param_cb(live_sessions, &nb_atomic_ops, &nb_live_sessions, 0444);
MODULE_PARM_DESC(live_sessions, "open sessions");
module_param_cb(live_attachments, &nb_atomic_ops, &nb_live_attachments, 0444);
MODULE_PARM_DESC(live_attachments, "attachments not yet freed");

static bool nb_uses_model(const struct nb_attach *cfg, unsigned int model)
{
	unsigned int cb;

	for (cb = 0; cb < NB_CB_NR; cb++)
		if ((cfg->callbacks & NB_CB_BIT(cb)) &&
		    cfg->cost[cb].model == model)
			return true;
	return false;
}

static int nb_check_cost(const struct nb_attach *cfg, unsigned int cb)
{
	const struct nb_cost *c = &cfg->cost[cb];

	if (c->reserved || c->model >= NB_MODEL_NR || c->ns > NB_MAX_NS ||
	    c->global_ns > NB_MAX_NS || c->threshold > NB_MAX_THRESHOLD)
		return -EINVAL;
	/* A cost on a callback that is left out is a mistake, not a no-op. */
	if (!(cfg->callbacks & NB_CB_BIT(cb)))
		return c->model || c->ns || c->threshold || c->global_ns ?
		       -EINVAL : 0;
	if (!nb_model_allowed(cb, c->model))
		return -EINVAL;
	/* a count of instructions, per call or per 4 KiB: no threshold or global part */
	if ((nb_model_kind(c->model) & NB_COST_INSN) &&
	    (c->ns > NB_MAX_INSN || c->threshold || c->global_ns))
		return -EINVAL;
	if (nb_model_feature(c->model) & ~nb_kernel_features())
		return -EOPNOTSUPP;
	return 0;
}

static int nb_check_range(const struct nb_attach *cfg, bool needed)
{
	if (!needed)
		return cfg->start || cfg->len ? -EINVAL : 0;
	if (!cfg->len || !PAGE_ALIGNED(cfg->start) || !PAGE_ALIGNED(cfg->len) ||
	    cfg->len > NB_MAX_MIRROR_LEN || cfg->start + cfg->len < cfg->start ||
	    cfg->start + cfg->len > TASK_SIZE)
		return -EINVAL;
	return 0;
}

static int nb_check_attach(const struct nb_attach *cfg)
{
	bool zap = nb_uses_model(cfg, NB_MODEL_ZAP);
	u32 cbs = cfg->callbacks;
	unsigned int cb;
	int ret;

	if (cfg->abi_version != NB_ABI_VERSION ||
	    cfg->nr_subscribers < 1 ||
	    cfg->nr_subscribers > NB_MAX_SUBSCRIBERS ||
	    cfg->flags & ~NB_ATTACH_FLAGS || cfg->event_mask & ~NB_EV_ALL)
		return -EINVAL;
	if (cfg->mode == NB_MODE_OPS) {
		if (cbs & ~NB_CB_ALL_OPS)
			return -EINVAL;
	} else if (cfg->mode == NB_MODE_INTERVAL) {
		if (cbs != NB_CB_BIT(NB_CB_INTERVAL))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (cbs & ~nb_kernel_callbacks())
		return -EOPNOTSUPP;
	for (cb = 0; cb < NB_CB_NR; cb++) {
		ret = nb_check_cost(cfg, cb);
		if (ret)
			return ret;
	}
#ifdef NB_HAVE_ARCH_INVALIDATE_SECONDARY_TLBS
	/* Since 6.6 the core refuses (and warns about) TLB with start/end. */
	if ((cbs & NB_CB_BIT(NB_CB_TLB)) &&
	    (cbs & (NB_CB_BIT(NB_CB_START) | NB_CB_BIT(NB_CB_END))))
		return -EINVAL;
#endif
	/* Since 5.12 a start that can fail must not come with an end. */
	if ((cbs & NB_CB_BIT(NB_CB_START)) && (cbs & NB_CB_BIT(NB_CB_END)) &&
	    cfg->cost[NB_CB_START].model == NB_MODEL_FAIL)
		return -EINVAL;
	if (zap && (cfg->nr_subscribers != 1 ||
		    cfg->len > (NB_MAX_MIRROR_ENTRIES << PAGE_SHIFT) ||
		    (cfg->mode == NB_MODE_OPS && !(cbs & NB_CB_BIT(NB_CB_END)))))
		return -EINVAL;
	return nb_check_range(cfg, zap || cfg->mode == NB_MODE_INTERVAL);
}

static void nb_free_attachment(struct nb_attachment *att)
{
	if (att->has_mirror)
		nb_mirror_destroy(att);
	kfree(att->subs);
	kfree(att->isubs);
	kfree(att);
	atomic_dec(&nb_live_attachments);
	module_put(THIS_MODULE);
}

/* Drop the first @n subscribers and wait until no callback can run. */
static void nb_put_subs(struct nb_attachment *att, unsigned int n)
{
	unsigned int i;

	if (att->subs) {
		for (i = 0; i < n; i++)
			mmu_notifier_put(&att->subs[i].mn);
		/* One SRCU barrier for all K: every free_notifier has run. */
		mmu_notifier_synchronize();
		WARN_ON_ONCE(atomic_read(&att->live_subs));
	}
	for (i = 0; att->isubs && i < n; i++)
		mmu_interval_notifier_remove(&att->isubs[i].mni);
}

static int nb_register_ops(struct nb_attachment *att)
{
	unsigned int i;
	int ret = 0;

	att->subs = kcalloc(att->nr_subs, sizeof(*att->subs), GFP_KERNEL);
	if (!att->subs)
		return -ENOMEM;
	/* Registration takes all VMA locks: do it for all K at once. */
	mmap_write_lock(att->mm);
	for (i = 0; i < att->nr_subs; i++) {
		att->subs[i].att = att;
		att->subs[i].idx = i;
		att->subs[i].mn.ops = &att->ops;
		ret = __mmu_notifier_register(&att->subs[i].mn, att->mm);
		if (ret)
			break;
		atomic_inc(&att->live_subs);
	}
	mmap_write_unlock(att->mm);
	if (ret)
		nb_put_subs(att, i);
	return ret;
}

static int nb_register_interval(struct nb_attachment *att)
{
#ifdef NB_HAVE_INTERVAL_INVALIDATE
	unsigned int i;
	int ret = 0;

	att->isubs = kcalloc(att->nr_subs, sizeof(*att->isubs), GFP_KERNEL);
	if (!att->isubs)
		return -ENOMEM;
	if (att->has_mirror)
		att->mirror.mni = &att->isubs[0].mni;
	for (i = 0; i < att->nr_subs; i++) {
		att->isubs[i].att = att;
		att->isubs[i].idx = i;
		ret = mmu_interval_notifier_insert(&att->isubs[i].mni, att->mm,
						   att->cfg.start, att->cfg.len,
						   &att->iops);
		if (ret)
			break;
	}
	if (ret)
		nb_put_subs(att, i);
	return ret;
#else
	return -EOPNOTSUPP;
#endif
}

static int nb_ioc_attach(struct nb_session *s, union nb_ioc_arg *u)
{
	struct nb_attachment *att;
	int ret;

	ret = nb_check_attach(&u->attach);
	if (ret)
		return ret;
	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att)
		return -ENOMEM;
	att->cfg = u->attach;
	mutex_lock(&s->lock);
	if (s->att) {
		ret = -EBUSY;
		goto out_free;
	}
	att->s = s;
	att->mm = current->mm;
	att->nr_subs = att->cfg.nr_subscribers;
	att->has_mirror = nb_uses_model(&att->cfg, NB_MODEL_ZAP);
	if (att->has_mirror)
		nb_mirror_init(att);
	nb_fill_ops(att);
	atomic_set(&s->released, 0);
	__module_get(THIS_MODULE);
	atomic_inc(&nb_live_attachments);
	if (att->cfg.mode == NB_MODE_OPS)
		ret = nb_register_ops(att);
	else
		ret = nb_register_interval(att);
	if (ret) {
		nb_free_attachment(att);
		goto out_unlock;
	}
	s->att = att;
	goto out_unlock;
out_free:
	kfree(att);
out_unlock:
	mutex_unlock(&s->lock);
	return ret;
}

static void nb_detach_locked(struct nb_session *s)
{
	nb_put_subs(s->att, s->att->nr_subs);
	nb_free_attachment(s->att);
	s->att = NULL;
}

static int nb_ioc_detach(struct nb_session *s, union nb_ioc_arg *u)
{
	int ret = 0;

	mutex_lock(&s->lock);
	if (s->att)
		nb_detach_locked(s);
	else
		ret = -EINVAL;
	mutex_unlock(&s->lock);
	return ret;
}

static void nb_cell_add(struct nb_cell *dst, const struct nb_cell *src)
{
	u64 *d = (u64 *)dst;
	const u64 *v = (const u64 *)src;
	u64 max = max(dst->ns_max, src->ns_max);
	size_t i;

	for (i = 0; i < sizeof(*dst) / sizeof(u64); i++)
		d[i] += v[i];
	dst->ns_max = max;
}

/* Sums over CPUs; a cell whose gen is stale was reset: it counts 0. */
static void nb_fill_stats(struct nb_session *s, struct nb_stats *st)
{
	struct nb_mirror_counters *mc = &s->mc;
	unsigned int cpu, cb, ev;

	lockdep_assert_held(&s->lock);
	for_each_possible_cpu(cpu) {
		struct nb_pcpu *p = per_cpu_ptr(s->pcpu, cpu);

		for (cb = 0; cb < NB_CB_NR; cb++) {
			for (ev = 0; ev < NB_EV_NR; ev++) {
				if (READ_ONCE(p->gen[cb][ev]) != s->gen)
					continue;
				/* pairs with smp_wmb() in nb_account() */
				smp_rmb();
				nb_cell_add(&st->cell[cb][ev], &p->cell[cb][ev]);
			}
		}
	}
	st->abi_version = NB_ABI_VERSION;
	if (atomic_read(&s->released))
		st->state |= NB_STATE_RELEASED;
	if (s->att) {
		st->state |= NB_STATE_ATTACHED;
		st->nr_subscribers = s->att->nr_subs;
		st->callbacks = s->att->cfg.callbacks;
		if (s->att->has_mirror)
			st->mirror.entries = READ_ONCE(s->att->mirror.nr_present);
	}
	spin_lock(&s->ring_lock);
	st->ring_seq = s->ring_seq;
	spin_unlock(&s->ring_lock);
	st->mirror.zapped = atomic64_read(&mc->zapped);
	st->mirror.hits = atomic64_read(&mc->hits);
	st->mirror.cold = atomic64_read(&mc->cold);
	st->mirror.refaults = atomic64_read(&mc->refaults);
	st->mirror.upgrades = atomic64_read(&mc->upgrades);
	st->mirror.retries = atomic64_read(&mc->retries);
}

static int nb_ioc_stats(struct nb_session *s, union nb_ioc_arg *u)
{
	struct nb_buf *b = &u->buf;
	struct nb_stats *st;
	int ret = 0;

	if (b->size != sizeof(*st) || b->count)
		return -EINVAL;
	st = kvzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	mutex_lock(&s->lock);
	nb_fill_stats(s, st);
	mutex_unlock(&s->lock);
	if (copy_to_user(u64_to_user_ptr(b->ptr), st, sizeof(*st)))
		ret = -EFAULT;
	kvfree(st);
	return ret;
}

/* As STATS: size (entries here) in 1..NB_RING_SIZE and count 0, else -EINVAL. */
static int nb_ioc_ring(struct nb_session *s, union nb_ioc_arg *u)
{
	struct nb_buf *b = &u->buf;
	struct nb_ring_entry *e;
	u64 seq, i, n;
	int ret = 0;

	if (!b->size || b->size > NB_RING_SIZE || b->count)
		return -EINVAL;
	e = kmalloc_array(NB_RING_SIZE, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	spin_lock(&s->ring_lock);
	seq = s->ring_seq;
	n = min3((u64)b->size, (u64)NB_RING_SIZE, seq);
	for (i = 0; i < n; i++)
		e[i] = s->ring[(seq - n + i) % NB_RING_SIZE];
	spin_unlock(&s->ring_lock);
	b->count = n;
	if (copy_to_user(u64_to_user_ptr(b->ptr), e, n * sizeof(*e)))
		ret = -EFAULT;
	kfree(e);
	return ret;
}

/*
 * Never writes another CPU's counters (callbacks, some from ksmd,
 * khugepaged or NUMA scanning, may be counting there right now): a new
 * generation makes every cell read as zero until its CPU clears it.
 */
static int nb_ioc_reset(struct nb_session *s, union nb_ioc_arg *u)
{
	mutex_lock(&s->lock);
	WRITE_ONCE(s->gen, s->gen + 1);
	spin_lock(&s->ring_lock);
	memset(s->ring, 0, sizeof(s->ring));
	s->ring_seq = 0;
	spin_unlock(&s->ring_lock);
	/* atomics: an add lands wholly before or after the reset */
	atomic64_set(&s->mc.zapped, 0);
	atomic64_set(&s->mc.hits, 0);
	atomic64_set(&s->mc.cold, 0);
	atomic64_set(&s->mc.refaults, 0);
	atomic64_set(&s->mc.upgrades, 0);
	atomic64_set(&s->mc.retries, 0);
	mutex_unlock(&s->lock);
	return 0;
}

static int nb_ioc_access(struct nb_session *s, union nb_ioc_arg *u)
{
	struct nb_access *a = &u->access;
	struct nb_attachment *att;
	int ret = -EINVAL;

	if (a->flags & ~NB_ACCESS_WRITE || a->reserved || !a->len ||
	    !PAGE_ALIGNED(a->start) || !PAGE_ALIGNED(a->len) ||
	    a->start + a->len < a->start)
		return -EINVAL;
	mutex_lock(&s->lock);
	att = s->att;
	/* Only the attached, live mm can be "accessed by the device". */
	if (!att || !att->has_mirror || att->mm != current->mm ||
	    atomic_read(&s->released) || a->start < att->mirror.start ||
	    a->start + a->len > att->mirror.end)
		goto out;
	ret = nb_mirror_access(att, a);
out:
	mutex_unlock(&s->lock);
	return ret;
}

static int nb_ioc_version(struct nb_session *s, union nb_ioc_arg *u)
{
	struct nb_version *v = &u->version;

	v->abi_version = NB_ABI_VERSION;
	v->features = nb_kernel_features();
	v->callbacks = nb_kernel_callbacks();
	strscpy(v->kernel_release, utsname()->release, sizeof(v->kernel_release));
	strscpy(v->module_version, NB_MODULE_VERSION, sizeof(v->module_version));
	return 0;
}

/*
 * The commands, indexed by number. cmd is the whole command (type, number,
 * direction and size), so a caller that disagrees on any of them gets
 * -ENOTTY. The dispatcher alone copies the argument in and out, once each.
 */
struct nb_ioc {
	unsigned int cmd;
	/*
	 * ATTACH charges the cost models to a process's mm (a model may spin
	 * for up to 1 ms per call, in any callback): a privileged act, checked
	 * on the caller, not only at open (a root-opened file can be passed on).
	 */
	bool admin;
	int (*fn)(struct nb_session *s, union nb_ioc_arg *u);
};

static const struct nb_ioc nb_iocs[] = {
	[_IOC_NR(NB_IOC_VERSION)] = { NB_IOC_VERSION, false, nb_ioc_version },
	[_IOC_NR(NB_IOC_ATTACH)] = { NB_IOC_ATTACH, true, nb_ioc_attach },
	[_IOC_NR(NB_IOC_DETACH)] = { NB_IOC_DETACH, false, nb_ioc_detach },
	[_IOC_NR(NB_IOC_STATS)] = { NB_IOC_STATS, false, nb_ioc_stats },
	[_IOC_NR(NB_IOC_RING)] = { NB_IOC_RING, false, nb_ioc_ring },
	[_IOC_NR(NB_IOC_RESET)] = { NB_IOC_RESET, false, nb_ioc_reset },
	[_IOC_NR(NB_IOC_ACCESS)] = { NB_IOC_ACCESS, false, nb_ioc_access },
};

static long nb_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nb_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	unsigned int nr = _IOC_NR(cmd), size = _IOC_SIZE(cmd);
	const struct nb_ioc *ioc;
	union nb_ioc_arg u;
	int ret;

	if (_IOC_TYPE(cmd) != NB_IOC_MAGIC || nr >= ARRAY_SIZE(nb_iocs))
		return -ENOTTY;
	ioc = &nb_iocs[array_index_nospec(nr, ARRAY_SIZE(nb_iocs))];
	if (!ioc->fn || cmd != ioc->cmd || size > sizeof(u))
		return -ENOTTY;
	if (ioc->admin && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	memset(&u, 0, sizeof(u));
	if ((_IOC_DIR(cmd) & _IOC_WRITE) && copy_from_user(&u, uarg, size))
		return -EFAULT;
	ret = ioc->fn(s, &u);
	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(uarg, &u, size))
		ret = -EFAULT;
	return ret;
}

static int nb_open(struct inode *inode, struct file *file)
{
	struct nb_session *s;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->pcpu = alloc_percpu(struct nb_pcpu);
	if (!s->pcpu) {
		kfree(s);
		return -ENOMEM;
	}
	mutex_init(&s->lock);
	spin_lock_init(&s->ring_lock);
	file->private_data = s;
	atomic_inc(&nb_live_sessions);
	return 0;
}

static int nb_release_file(struct inode *inode, struct file *file)
{
	struct nb_session *s = file->private_data;

	mutex_lock(&s->lock);
	if (s->att)
		nb_detach_locked(s);
	mutex_unlock(&s->lock);
	free_percpu(s->pcpu);
	kfree(s);
	atomic_dec(&nb_live_sessions);
	return 0;
}

static const struct file_operations nb_fops = {
	.owner = THIS_MODULE,
	.open = nb_open,
	.release = nb_release_file,
	.unlocked_ioctl = nb_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice nb_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "notibench",
	.fops = &nb_fops,
	.mode = 0600,
};

static int __init nb_init(void)
{
	/* The per-CPU allocator refuses units above this. */
	BUILD_BUG_ON(sizeof(struct nb_pcpu) > PCPU_MIN_UNIT_SIZE);
	return misc_register(&nb_dev);
}

static void __exit nb_exit(void)
{
	misc_deregister(&nb_dev);
	/* free_notifier callbacks run from SRCU: let them finish first. */
	mmu_notifier_synchronize();
}

module_init(nb_init);
module_exit(nb_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("notibench: MMU notifiers with a configurable cost");
MODULE_VERSION(NB_MODULE_VERSION);
