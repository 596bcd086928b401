"""What `make bench` serves under gunicorn: the tracker, and a bare Flask route at /_bench/bare in the same
workers, the yardstick for what the server and Flask cost without the tracker (not a product route).

    TRACKER_ROOT=/path/to/checkout gunicorn --chdir bench wsgi:application
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, os.environ.get("TRACKER_ROOT") or str(Path(__file__).resolve().parent.parent))

from flask import Flask, jsonify  # noqa: E402

from tracker import create_app  # noqa: E402

BARE_PATH = "/_bench/bare"

bare = Flask("bare")


@bare.get(BARE_PATH)
def hello():
    return jsonify(ok=True)


tracker = create_app()


def application(environ, start_response):
    app = bare if environ.get("PATH_INFO") == BARE_PATH else tracker
    return app(environ, start_response)
