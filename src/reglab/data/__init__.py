"""Data: the exercise's file, built-in generators and the user's own files, as :class:`Dataset`."""

from reglab.data.csv_files import load_csv
from reglab.data.dataset import Dataset, check_split
from reglab.data.football import (
    FOOTBALL_SHA256,
    FOOTBALL_URLS,
    cached_football,
    fetch_football,
    load_football,
)
from reglab.data.generators import GENERATORS, list_datasets
from reglab.data.sources import load_dataset

__all__ = [
    "FOOTBALL_SHA256",
    "FOOTBALL_URLS",
    "GENERATORS",
    "Dataset",
    "cached_football",
    "check_split",
    "fetch_football",
    "list_datasets",
    "load_csv",
    "load_dataset",
    "load_football",
]
