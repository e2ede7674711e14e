"""Starts the action server on loopback (`rasa run actions` always binds 0.0.0.0)."""

from __future__ import annotations

import logging
import os

from rasa_sdk.endpoint import create_app


def main() -> None:
    logging.basicConfig(level=os.environ.get("ACTIONS_LOG_LEVEL", "WARNING"))
    app = create_app("actions", cors_origins=[])
    app.run(
        host=os.environ.get("SANIC_HOST", "127.0.0.1"),
        port=int(os.environ.get("ACTIONS_PORT", "5055")),
        access_log=False,  # no request details in logs
        workers=1,
    )


if __name__ == "__main__":
    main()
