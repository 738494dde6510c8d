"""Data: the exercise's file, built-in generators and the user's own files, as :class:`Dataset`."""

from reglab.data.dataset import Dataset, check_split

__all__ = ["Dataset", "check_split"]
