"""Maintenance scripts (run each as a file); a package so one may use another's helpers."""
