#!/usr/bin/python3
"""Writes every test fixture under tests/fixtures/ from PyTorch (Debian python3-torch).

Usage: /usr/bin/python3 tools/make_fixtures.py [module ...]
Each tools/fixtures/<module>.py has a main() that writes tests/fixtures/<module>.json."""
import importlib
import os
import pkgutil
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

import fixtures  # noqa: E402

wanted = sys.argv[1:]
for info in pkgutil.iter_modules(fixtures.__path__):
    if info.name == "common" or (wanted and info.name not in wanted):
        continue
    importlib.import_module(f"fixtures.{info.name}").main()
