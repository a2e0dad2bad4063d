// SPDX-License-Identifier: GPL-2.0
#include "abi.h"
#include "lib/stats.h"

const struct ps_counter_info ps_counters[PS_C_NR] = {
	[PS_C_EVENTS] = { "events", "events delivered to the tool", -1 },
	[PS_C_RECORDS_LOST] = { "records_lost",
				"records the kernel could not put in the buffer (it was full)",
				PS_STAT_LOST },
	[PS_C_EVENTS_LOST] = { "events_lost", "events lost whole or in part in the kernel",
			       PS_STAT_LOST_EVENTS },
	[PS_C_SCRATCH_BUSY] = { "scratch_busy",
				"events lost in the kernel for want of a free scratch slot",
				PS_STAT_SCRATCH_BUSY },
	[PS_C_EVENTS_INCOMPLETE] = { "events_incomplete",
				     "events delivered with some of their records lost", -1 },
	[PS_C_RECORDS_MALFORMED] = { "records_malformed",
				     "records with a bad size or type, ignored", -1 },
	[PS_C_OUTPUT_LOST] = { "output_lost", "events user space could not write out", -1 },
	[PS_C_PATH_FAILED] = { "path_failed", "paths that could not be resolved", -1 },
	[PS_C_CGROUP_FAILED] = { "cgroup_failed", "cgroup ids that could not be resolved to a path",
				 -1 },
	[PS_C_EXEC_KILLED] = { "exec_failures_killed",
			       "failed execs not reported: SIGKILL was pending (e.g. a sibling "
			       "thread's exec won), no caller saw them",
			       PS_STAT_EXEC_KILLED },
	[PS_C_RECORDS_LATE] = { "records_late",
				"records that came after their event was delivered incomplete "
				"(it waited too long): discarded",
				-1 },
	[PS_C_LIFE_NOMEM] = { "life_nomem",
			      "processes the kernel had no task storage for: their failed "
			      "execs are not counted",
			      PS_STAT_LIFE_NOMEM },
	[PS_C_GROUPS_FOLDED] = { "groups_folded",
				 "processes counted in \"other\" because the group table was full",
				 -1 },
	[PS_C_SCOPE_FULL] = { "scope_full",
			      "trace: new tasks whose scope flag could not be stored (out of "
			      "memory): their events are not traced",
			      PS_STAT_SCOPE_FULL },
	[PS_C_PROC_EVICTED] = { "lives_evicted",
				"trace: process lives reported early because the table was full "
				"(--max-processes)",
				-1 },
	[PS_C_OUTPUT_DROPPED] = { "output_dropped",
				  "lines dropped in user space: the output (disk, pipe, reader) "
				  "did not keep up and the writer's queue was full",
				  -1 },
};
