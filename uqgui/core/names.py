"""The one place git config keys and file names of uqgui are spelled."""

from __future__ import annotations

CONFIG_SECTION = "uq"
DEFAULT_PROFILE_KEY = "uq.defaultProfile"
SIGNOFF_KEY = "uq.signoff"
PROVENANCE_KEY = "uq.provenance"

PROFILE_DOWNSTREAM = "downstream"
PROFILE_UPSTREAM = "upstream"
PROFILE_BRANCH = "branch"
PROFILE_TEST = "test"
PROFILE_TO = "to"
PROFILE_CC = "cc"
PROFILE_KEYS = (PROFILE_DOWNSTREAM, PROFILE_UPSTREAM, PROFILE_BRANCH, PROFILE_TEST, PROFILE_TO, PROFILE_CC)
MULTI_VALUED_KEYS = (PROFILE_TO, PROFILE_CC)

OPLOG_FILE = "oplog.sqlite"
