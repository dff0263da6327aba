"""Issue trackers (GitHub, GitLab, Jira, Linear): items linked to the issue that fixes them, and
what a tracker's webhook saying the issue closed or reopened does to those items."""
