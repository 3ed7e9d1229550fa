// SPDX-License-Identifier: GPL-2.0
/*
 * notibench cost models: what one callback costs, in busy-waiting,
 * sleeping or executing a counted number of instructions, according to the
 * model the user chose for it.
 */
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/math64.h>

#include "nb.h"
#include "nb_insn.h"

/* Which callbacks may use a model: NB_MODELS in include/notibench.h. */
bool nb_model_allowed(unsigned int cb, unsigned int model)
{
	return cb < NB_CB_NR && (nb_model_callbacks(model) & NB_CB_BIT(cb));
}

/* Does this architecture have the INSN model's loop (nb_insn.h)? */
bool nb_insn_supported(void)
{
#ifdef NB_HAVE_INSN_LOOP
	return true;
#else
	return false;
#endif
}

/*
 * Exactly n + NB_INSN_LOOP_FIXED instructions. The attach checked n against
 * NB_MAX_INSN, so nothing here branches on n: a clamp would cost a
 * different number of instructions on each side of it.
 */
static void nb_insn(u64 n)
{
#ifdef NB_HAVE_INSN_LOOP
	nb_insn_loop(n);
#endif
}

/*
 * INSN_RANGE: n instructions per 4 KiB unit, clamped to NB_MAX_INSN_CALL
 * (nb_insn_range_count(), shared with tests/insn_test.c). Unclamped, the
 * same instructions run whatever units and n are, so a call costs exactly
 * units * n more than with n = 0; a clamped call is counted in capped.
 */
static u64 nb_insn_range(u64 units, u64 n, unsigned int *acc)
{
	int capped = 0;
	u64 count = nb_insn_range_count(units, n, NB_MAX_INSN_CALL, &capped);

	if (capped)
		*acc |= NB_ACC_CAPPED;
	return count;
}

static void nb_spin(u64 ns)
{
	u64 t0 = ktime_get_ns();

	while (ktime_get_ns() - t0 < ns)
		cpu_relax();
}

/* 4 KiB units in [start, end), rounded up; the full range is 2^52. */
static u64 nb_units(unsigned long start, unsigned long end)
{
	unsigned long len = end - start;

	return (len >> 12) + !!(len & 0xfff);
}

/* units * per_unit, clamped to the per-call cap; *acc notes the clamp. */
static u64 nb_scaled(u64 units, u64 per_unit, unsigned int *acc)
{
	if (per_unit && units > div64_u64(NB_MAX_CALL_NS, per_unit)) {
		*acc |= NB_ACC_CAPPED;
		return NB_MAX_CALL_NS;
	}
	return units * per_unit;
}

/*
 * Charge one call. Returns -EAGAIN when the FAIL model refuses a
 * non-blockable call, else 0. @zapped is what the ZAP model removed.
 */
int nb_charge(const struct nb_cost *c, unsigned long start, unsigned long end,
	      bool blockable, u64 zapped, unsigned int *acc)
{
	u64 units;

	switch (c->model) {
	case NB_MODEL_SPIN:
		nb_spin(c->ns);
		break;
	case NB_MODEL_SPIN_RANGE:
		nb_spin(nb_scaled(nb_units(start, end), c->ns, acc));
		break;
	case NB_MODEL_SLEEP:
		if (blockable && c->ns >= NSEC_PER_USEC) {
			unsigned long us = div_u64(c->ns, NSEC_PER_USEC);

			usleep_range(us, us + us / 8 + 1);
		} else {
			if (!blockable)
				*acc |= NB_ACC_FALLBACK;
			nb_spin(c->ns);
		}
		break;
	case NB_MODEL_SMMU:
		units = nb_units(start, end);
		if (units <= c->threshold)
			nb_spin(nb_scaled(units, c->ns, acc));
		else
			nb_spin(c->global_ns);
		break;
	case NB_MODEL_FAIL:
		if (!blockable) {
			*acc |= NB_ACC_FAILED;
			return -EAGAIN;
		}
		nb_spin(c->ns);
		break;
	case NB_MODEL_ZAP:
		nb_spin(nb_scaled(zapped, c->ns, acc));
		break;
	case NB_MODEL_INSN:
		nb_insn(c->ns);
		break;
	case NB_MODEL_INSN_RANGE:
		nb_insn(nb_insn_range(nb_units(start, end), c->ns, acc));
		break;
	default:
		break;
	}
	return 0;
}
