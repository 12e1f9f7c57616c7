"""The sharing policy: the one place that decides who may see which record."""
