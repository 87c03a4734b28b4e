"""The options every `cobrowse` command that reads the server's data shares:
`--config FILE` (also COBROWSE_CONFIG) and `--data-dir DIR`."""

from __future__ import annotations

import argparse
import os

from cobrowse.config import Config, load_config, read_toml


def data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=os.environ.get("COBROWSE_CONFIG"), help="TOML file")
    parser.add_argument("--data-dir", default=None, help="the server's data directory")


def data_config(args: argparse.Namespace) -> Config:
    """The configuration those options name: the file, then the environment, then
    `--data-dir`."""
    config = load_config(read_toml(args.config) if args.config else None, os.environ)
    if args.data_dir:
        config = config.with_changes(server={"data_dir": args.data_dir})
    return config
