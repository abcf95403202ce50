"""GitHub's limits that shape what parity-bot sends, each in one place."""

WEBHOOK_MAX_BYTES = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB
ANNOTATIONS_PER_CALL = 50  # check-run create/update; more calls append
CHECK_OUTPUT_MAX_CHARS = 65_535  # output.summary and output.text, each
COMMENT_MAX_CHARS = 65_536  # issue and review comment bodies
REVIEW_COMMENTS_MAX = 30  # ours: more inline suggestions than this are summarised instead
PR_FILES_MAX = 3_000  # the pull-request files API lists at most this many
RERUN_MAX_AGE_DAYS = 30  # GitHub refuses to rerun older workflow runs
MANIFEST_CODE_MAX_SECONDS = 3600  # the manifest flow's code must be converted within an hour
DOWNLOAD_REDIRECTS_MAX = 5  # ours: hops followed from an artifact URL to its storage
# ours: workflow bytes read for one judgement (a pull request, a commit's results); each
# file is at most 1 MB, but a pull request may change thousands of them
WORKFLOW_BYTES_PER_CHECK = 8 * 1024 * 1024
COMMAND_ECHO_MAX_CHARS = 100  # ours: how much of a command not understood the reply quotes
READ_ONLY_REPLY_SECONDS = 3600  # ours: one reply per user without write access, per PR, per hour
REPLAY_WINDOW_SECONDS = 3600  # ours: a signed body seen again under a new delivery id is refused this long
LOGS_PER_COMMIT = 20  # ours: job logs read to explain one commit's differing pairs
