/* SPDX-License-Identifier: GPL-2.0 */
#define VERSIONED_ANSWER \
	42
