"""Measuring or checking another checkout of netprice beside this one (``--against PATH``)."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path


def checkout(path) -> Path:
    """``path`` made absolute, if it is a netprice checkout (an argparse ``type``)."""
    path = Path(path).resolve()
    if not (path / "netprice" / "__init__.py").exists():
        raise argparse.ArgumentTypeError(
            f"{path}: not a netprice checkout (no netprice/__init__.py)")
    return path


def check_imported(checkout, netprice_file):
    """Raise unless ``netprice_file``, a subprocess's ``netprice.__file__``, is in ``checkout``."""
    # An installed netprice shadowing the checkout would compare a checkout with itself.
    if not Path(netprice_file).resolve().is_relative_to(Path(checkout).resolve()):
        raise RuntimeError(f"asked for the netprice of {checkout}, the subprocess imported "
                           f"{netprice_file}")


def git_head(checkout):
    """The short commit of a checkout, with '+' when its work tree has changes; '?' outside git."""
    def git(*cmd):
        return subprocess.run(["git", "-C", str(checkout), *cmd], capture_output=True,
                              text=True, timeout=30)

    head = git("rev-parse", "--short", "HEAD")
    if head.returncode != 0:
        return "?"
    dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return head.stdout.strip() + ("+" if dirty else "")
