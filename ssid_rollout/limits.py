"""The process limits a run needs, set by the CLI and by each Dask worker process that runs its jobs."""

from __future__ import annotations

import resource

#: Each device session holds about four descriptors for the whole run: a province (or a worker's share
#: of one) started from a shell with a soft limit of 1,024 could not hold 300 devices.
OPEN_FILES = 65536


def more_open_files() -> None:
    """Raise the soft limit of open files toward the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, OPEN_FILES)), hard))
