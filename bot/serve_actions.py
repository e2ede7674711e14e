"""Starts the action server on loopback (`rasa run actions` always binds 0.0.0.0)."""

from __future__ import annotations

import logging
import os

from rasa_sdk.endpoint import create_app

from channels import log_privacy  # noqa: F401 — no conversation id in the logs


def main() -> None:
    logging.basicConfig(level=os.environ.get("ACTIONS_LOG_LEVEL", "WARNING"))
    # httpx logs every request URL at INFO, and the actions' URLs carry what the person typed
    # (/categories/match?q=…, /places?q=…): never below WARNING.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = create_app("actions", cors_origins=[])
    app.run(
        host=os.environ.get("SANIC_HOST", "127.0.0.1"),
        port=int(os.environ.get("ACTIONS_PORT", "5055")),
        access_log=False,  # no request details in logs
        workers=1,
    )


if __name__ == "__main__":
    main()
