/* SPDX-License-Identifier: GPL-2.0 */
/* The programs' exit statuses, shared by every layer of bench/. */
#ifndef NB_EXIT_H
#define NB_EXIT_H

/* Exit statuses (kselftest's skip value). */
enum nb_exit {
	NB_EXIT_OK = 0,
	NB_EXIT_FAIL = 1,
	NB_EXIT_USAGE = 2,
	NB_EXIT_SKIP = 4,
};

#endif /* NB_EXIT_H */
