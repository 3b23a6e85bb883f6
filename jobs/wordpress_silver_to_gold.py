"""Placeholder so that Terraform can validate and plan the gold job (branch i20c).

The real job, WordPress silver -> gold, is written on branch i20a; the lead replaces this file. Like
the real job it loads the shared publish helpers (--extra-py-files jobs/lakehouse_publish.py).
"""

import lakehouse_publish  # noqa: F401 - the helpers the real job publishes with

raise SystemExit("jobs/wordpress_silver_to_gold.py is a placeholder: the gold job is written on branch i20a")
